import { Option, type Command } from 'commander';

/** What `--tag` / `--tags` leave on a command's options. */
export interface TagFlags {
  tag?: string[];
  tags?: string[];
}

/**
 * `--tag <tag...>` as every command spells it (repeatable, space- or comma-separated), and
 * `--tags` as a hidden synonym, so `--tags smoke,checkout` works wherever `--tag` does.
 */
export function addTagFlags(cmd: Command, what = 'only tests with any of these tags'): Command {
  return cmd
    .option('--tag <tag...>', `${what} (repeatable, or comma-separated)`)
    .addOption(new Option('--tags <tag...>', 'same as --tag').hideHelp());
}

/** The tags of `--tag` and `--tags` together, commas split, blanks and repeats dropped. */
export function tagsOfFlags(o: TagFlags): string[] {
  const all = [...(o.tag ?? []), ...(o.tags ?? [])].flatMap((v) => v.split(','));
  return [...new Set(all.map((t) => t.trim()).filter((t) => t.length > 0))];
}
