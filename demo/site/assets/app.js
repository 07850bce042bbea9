// The todo app is rendered entirely in the browser from /api/todos, like a single-page app.
// The server keeps each visitor's list under a cookie, so separate browsers never share todos.
'use strict';

(function () {
  const root = document.getElementById('todo-app');
  if (!root) return;
  let todos = [];
  // The chosen filter is kept in localStorage, so it survives a reload like a real app's setting.
  const FILTER_KEY = 'acme.todos.filter';
  const filters = { all: 'All', active: 'Active', done: 'Done' };
  let filter = filters[localStorage.getItem(FILTER_KEY)] ? localStorage.getItem(FILTER_KEY) : 'all';

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === 'dataset') Object.assign(node.dataset, value);
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else if (key in node) node[key] = value;
      else node.setAttribute(key, value);
    }
    node.append(...children);
    return node;
  }

  async function api(method, url, body) {
    const response = await fetch(url, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `request failed (${response.status})`);
    return data;
  }

  const input = el('input', {
    id: 'new-todo',
    name: 'title',
    autocomplete: 'off',
    maxLength: 200,
    placeholder: 'What needs doing?',
    dataset: { testid: 'new-todo' },
  });
  const error = el('p', {
    id: 'todo-error',
    className: 'field-error',
    role: 'alert',
    hidden: true,
    dataset: { testid: 'todo-error' },
  });
  const list = el('ul', {
    className: 'todo-list',
    'aria-label': 'Todos',
    dataset: { testid: 'todo-list' },
  });
  const filterBar = el('div', {
    className: 'todo-filters',
    role: 'group',
    'aria-label': 'Show',
    dataset: { testid: 'todo-filters' },
  });
  for (const [key, label] of Object.entries(filters)) {
    filterBar.append(
      el('button', { type: 'button', className: 'filter', onclick: () => show(key) }, label),
    );
  }
  const counter = el('p', {
    className: 'todo-footer',
    'aria-live': 'polite',
    dataset: { testid: 'todo-count' },
  });
  const form = el(
    'form',
    { className: 'todo-form', dataset: { testid: 'todo-form' }, onsubmit: add },
    el('div', { className: 'field' }, el('label', { htmlFor: 'new-todo' }, 'New todo'), input),
    el('button', { type: 'submit', className: 'btn btn-primary' }, 'Add'),
  );

  function showError(text) {
    error.textContent = text || '';
    error.hidden = !text;
  }

  function renderCount() {
    const left = todos.filter((t) => !t.done).length;
    counter.textContent = `${left} ${left === 1 ? 'item' : 'items'} left`;
  }

  function show(key) {
    filter = key;
    localStorage.setItem(FILTER_KEY, key);
    render();
  }

  function renderFilters() {
    for (const button of filterBar.children) {
      const on = filters[filter] === button.textContent;
      button.className = on ? 'filter selected' : 'filter';
      button.setAttribute('aria-pressed', String(on));
    }
  }

  function item(todo) {
    const checkbox = el('input', {
      type: 'checkbox',
      checked: todo.done,
      onchange: () => toggle(todo, checkbox),
    });
    return el(
      'li',
      {
        className: todo.done ? 'todo done' : 'todo',
        dataset: { testid: 'todo-item', id: String(todo.id) },
      },
      el('label', {}, checkbox, ' ', el('span', { dataset: { testid: 'todo-title' } }, todo.title)),
      el(
        'button',
        {
          type: 'button',
          className: 'btn-link',
          'aria-label': `Delete ${todo.title}`,
          onclick: () => remove(todo),
        },
        'Delete',
      ),
    );
  }

  function render() {
    const shown = todos.filter((t) => filter === 'all' || t.done === (filter === 'done'));
    list.replaceChildren(...shown.map(item));
    if (todos.length === 0) list.append(el('li', { className: 'muted' }, 'Nothing to do. Enjoy!'));
    else if (shown.length === 0) list.append(el('li', { className: 'muted' }, 'Nothing here.'));
    renderFilters();
    renderCount();
  }

  async function add(event) {
    event.preventDefault();
    const title = input.value.trim();
    if (title === '') {
      showError('Enter a todo');
      input.focus();
      return;
    }
    showError('');
    try {
      const { item: created } = await api('POST', '/api/todos', { title });
      todos.push(created);
      input.value = '';
      render();
      input.focus();
    } catch (e) {
      showError(`Could not add the todo: ${e.message}`);
    }
  }

  // Updates the row in place: replacing the checkbox under the user's pointer would lose focus.
  async function toggle(todo, checkbox) {
    const done = checkbox.checked;
    try {
      const { item: updated } = await api('PATCH', `/api/todos/${todo.id}`, { done });
      Object.assign(todo, updated);
      showError('');
    } catch (e) {
      checkbox.checked = !done;
      showError(`Could not update the todo: ${e.message}`);
    }
    // Under a filter the item may no longer belong; otherwise it is updated in place.
    if (filter === 'all') {
      checkbox.closest('li').className = todo.done ? 'todo done' : 'todo';
      renderCount();
    } else render();
  }

  async function remove(todo) {
    try {
      await api('DELETE', `/api/todos/${todo.id}`);
      todos = todos.filter((t) => t !== todo);
      showError('');
      render();
    } catch (e) {
      showError(`Could not delete the todo: ${e.message}`);
    }
  }

  async function load() {
    try {
      const data = await api('GET', '/api/todos');
      todos = data.items;
      root.replaceChildren(form, error, filterBar, list, counter);
      render();
    } catch (e) {
      root.replaceChildren(
        el(
          'p',
          { className: 'field-error', role: 'alert' },
          `Could not load your todos: ${e.message}`,
        ),
        el('button', { type: 'button', className: 'btn', onclick: load }, 'Try again'),
      );
    } finally {
      root.setAttribute('aria-busy', 'false');
    }
  }

  load();
})();
