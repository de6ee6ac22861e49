import type { Context } from "grammy";
import { ValidationError, type Issue } from "../../services/errors.js";
import { SOURCE_KINDS, type SourceKind } from "../../sources/port.js";
import { SOURCE_ICON, sourceLines } from "../features/cards.js";
import { Dialog, type Convo, type DialogArgs, type DialogEnv } from "./dialog.js";
import {
  askSourceField,
  chooseSourceField,
  describeSource,
  fixSourceIssues,
  SOURCE_FIELDS,
  sourceSpecOf,
  sourceViewOf,
  testSource,
  type SourceDraft,
} from "./source-steps.js";
import { afterFailedTest, cancelDialog, issuesText, reasonOf, review } from "./steps.js";

/** /newsource: kind → the kind's settings → name → connection test → review → save. */

type SaveResult = { kind: "saved"; name: string } | { kind: "invalid"; issues: Issue[] } | { kind: "failed"; reason: string } | { kind: "lost" };

export function newSourceConversation(env: DialogEnv) {
  return async function newSource(convo: Convo, ctx: Context, args?: DialogArgs): Promise<void> {
    const d = await Dialog.open(convo, ctx, env, args, "conv-dialog-new-source");
    const kind = (await d.choose(
      d.t("conv-src-kind"),
      SOURCE_KINDS.map((k) => [{ value: k, label: d.t(`conv-src-kind-${k}`) }]),
    )) as SourceKind;
    const draft: SourceDraft = { kind };
    for (const field of SOURCE_FIELDS[kind]) await askSourceField(d, draft, field);

    for (;;) {
      await d.say(d.t("conv-src-testing", { target: describeSource(draft) }));
      const test = await d.external(() => testSource(d, draft));
      if (test.kind === "lost") {
        await d.say(d.t("conv-secret-lost"));
        await askSourceField(d, draft, "password");
        continue;
      }
      if (test.kind === "invalid") {
        await d.say(d.t("conv-save-refused", { issues: issuesText(d, test.issues) }));
        if (!(await fixSourceIssues(d, draft, test.issues))) return cancelDialog(d);
        continue;
      }
      if (test.kind === "failed") {
        const next = await afterFailedTest(d, test.reason);
        if (next === "cancel") return cancelDialog(d);
        if (next === "edit" && !(await changeSetting(d, draft))) return cancelDialog(d);
        if (next !== "save") continue;
      } else {
        const passed = test.version ? d.t("conv-test-ok-version", { version: test.version }) : d.t("conv-test-ok");
        const choice = await review(d, `${passed}\n\n${reviewText(d, draft)}`);
        if (choice === "cancel") return cancelDialog(d);
        if (choice === "edit") {
          if (!(await changeSetting(d, draft))) return cancelDialog(d);
          continue;
        }
      }
      const saved = await d.external(() => saveSource(d, draft));
      if (saved.kind === "saved") {
        await d.forgetSecrets();
        await d.say(d.t("conv-src-saved", { name: saved.name }));
        return;
      }
      if (saved.kind === "lost") {
        await d.say(d.t("conv-secret-lost"));
        await askSourceField(d, draft, "password");
      } else if (saved.kind === "invalid") {
        await d.say(d.t("conv-save-refused", { issues: issuesText(d, saved.issues) }));
        if (!(await fixSourceIssues(d, draft, saved.issues))) return cancelDialog(d);
      } else {
        await d.say(d.t("conv-save-failed", { reason: saved.reason }));
        if (!(await changeSetting(d, draft))) return cancelDialog(d);
      }
    }
  };
}

/** The edit menu over the draft; false when the user cancelled there. */
async function changeSetting(d: Dialog, draft: SourceDraft): Promise<boolean> {
  const field = await chooseSourceField(d, draft);
  if (field === "cancel") return false;
  await askSourceField(d, draft, field);
  return true;
}

/** "Review the new source" and what will be saved (a password only as "set"). */
function reviewText(d: Dialog, draft: SourceDraft): string {
  const view = sourceViewOf(draft);
  return [d.t("conv-src-review"), d.t("sources-card-head", { icon: SOURCE_ICON[view.kind], name: view.name, kind: view.kind }), ...sourceLines((k, p) => d.t(k, p), view)].join("\n");
}

function saveSource(d: Dialog, draft: SourceDraft): SaveResult {
  const built = sourceSpecOf(d, draft);
  if (!built) return { kind: "lost" };
  try {
    const view = d.deps.sources.create(built.spec);
    return { kind: "saved", name: view.name };
  } catch (err) {
    if (err instanceof ValidationError) return { kind: "invalid", issues: err.issues };
    d.deps.log.error({ err: reasonOf(d, err, [built.secret]) }, "saving a source from the bot failed");
    return { kind: "failed", reason: reasonOf(d, err, [built.secret]) };
  }
}
