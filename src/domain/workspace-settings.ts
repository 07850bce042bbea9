import { z } from 'zod';

/** LLM API flavours Greenlight speaks (src/crawl/llm): chat completions, or Ollama's chat. */
export const aiProviderKinds = ['openai', 'ollama'] as const;
export type AiProviderKind = (typeof aiProviderKinds)[number];

/** The stored part of a workspace's AI provider setting; the API key is kept apart, encrypted. */
const aiSettingValue = z.object({
  provider: z.enum(aiProviderKinds),
  /** null: the provider's default (OpenAI's API, or Ollama on 127.0.0.1:11434). */
  baseUrl: z.string().nullable(),
  /** null: the provider's default model. */
  model: z.string().nullable(),
});

/** How long deleted projects and tests stay in the recycle bin before the cleanup purges them. */
export const recycleBinSettingValue = z.object({
  retentionDays: z.number().int().min(1).max(3650),
});

export const DEFAULT_RECYCLE_BIN_DAYS = 30;

/** Every workspace setting, by its stored name, with the schema its value is read with. */
export const workspaceSettingSchemas = {
  ai: aiSettingValue,
  recycle_bin: recycleBinSettingValue,
} as const;
export type WorkspaceSettingName = keyof typeof workspaceSettingSchemas;
export type WorkspaceSettingValue<N extends WorkspaceSettingName> = z.output<
  (typeof workspaceSettingSchemas)[N]
>;
