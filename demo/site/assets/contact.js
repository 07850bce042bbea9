// Contact form: sends the message as JSON (with what it knows of the attached file) and shows
// the confirmation in place of the form.
'use strict';

(function () {
  const form = document.getElementById('contact-form');
  const confirmation = document.getElementById('contact-confirmation');
  const errorBox = document.getElementById('contact-error');
  if (!form || !confirmation || !errorBox) return;
  const MAX_BYTES = 1024 * 1024;

  function paragraph(text, testId) {
    const p = document.createElement('p');
    p.textContent = text;
    if (testId) p.dataset.testid = testId;
    return p;
  }

  function showError(text) {
    errorBox.textContent = text || '';
    errorBox.hidden = !text;
  }

  function clientErrors(data, file) {
    const problems = [];
    if (!data.name) problems.push('Name is required');
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(data.email)) problems.push('Enter a valid email');
    if (!data.topic) problems.push('Choose a topic');
    if (!data.message) problems.push('Message is required');
    if (file && file.size > MAX_BYTES) problems.push('Attachments are limited to 1 MB');
    return problems;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = new FormData(form);
    const file = form.elements.attachment.files[0] || null;
    const data = {
      name: String(values.get('name') || '').trim(),
      email: String(values.get('email') || '').trim(),
      topic: String(values.get('topic') || ''),
      subscribe: form.elements.subscribe.checked,
      message: String(values.get('message') || '').trim(),
      attachment: file ? { name: file.name, size: file.size, type: file.type } : null,
    };
    const problems = clientErrors(data, file);
    if (problems.length > 0) {
      showError(problems.join('. '));
      return;
    }
    showError('');
    const submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      const response = await fetch('/api/contact', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(data),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        const fields = body.details && body.details.fields;
        showError(fields ? Object.values(fields).join('. ') : body.error || 'Sending failed');
        return;
      }
      confirmation.replaceChildren(
        paragraph(`Thanks, ${body.name}! We received your message about ${body.topic}.`),
        paragraph(`Reference: ${body.id}`, 'contact-reference'),
      );
      if (body.attachment) {
        confirmation.append(
          paragraph(`Attachment received: ${body.attachment.name}`, 'contact-attachment-name'),
        );
      }
      if (body.subscribed) confirmation.append(paragraph('You are subscribed to product updates.'));
      confirmation.hidden = false;
      form.hidden = true;
    } catch {
      showError('The server could not be reached, please try again');
    } finally {
      submit.disabled = false;
    }
  });
})();
