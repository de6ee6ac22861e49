import type { Context } from "grammy";
import { ValidationError, type Issue } from "../../services/errors.js";
import type { SourceView } from "../../services/sources.service.js";
import { sourceCardText, sourceUsers } from "../features/cards.js";
import { entityCardKeyboard } from "../keyboards/entities.js";
import { Dialog, type Convo, type DialogEnv } from "./dialog.js";
import { askSourceField, chooseSourceField, describeSource, fixSourceIssues, sourceDraftOf, sourceSpecOf, testSource, type SourceDraft } from "./source-steps.js";
import { afterFailedEdit, issuesText, reasonOf, type EditArgs } from "./steps.js";

/**
 * The source card's ✏️ Edit: which setting (current values on the buttons) → that field's
 * step, as /newsource asks it → connection test → saved → the card again. A refused test saves
 * nothing. The source keeps its id, so the jobs using it follow (a rename too).
 */

type SaveResult = { kind: "saved"; view: SourceView } | { kind: "invalid"; issues: Issue[] } | { kind: "failed"; reason: string } | { kind: "lost" };

export function editSourceConversation(env: DialogEnv) {
  return async function editSource(convo: Convo, ctx: Context, args?: EditArgs): Promise<void> {
    const d = await Dialog.open(convo, ctx, env, args, "conv-dialog-edit-source");
    const id = args?.id ?? 0;
    const view = await d.external(() => (d.deps.sources.findRow(id) ? d.deps.sources.get(id) : null));
    if (!view) {
      await d.say(d.t("error-not-found"));
      return;
    }
    const draft = sourceDraftOf(view);
    let field = await chooseSourceField(d, draft, d.t("edit-src-head", { name: view.name }));
    if (field === "cancel") return endUnchanged(d, id);
    await askSourceField(d, draft, field);

    let passed = "";
    for (;;) {
      if (field !== "name") {
        await d.say(d.t("conv-src-testing", { target: describeSource(draft) }));
        const test = await d.external(() => testSource(d, draft));
        if (test.kind === "lost") {
          await d.say(d.t("conv-secret-lost"));
          await askSourceField(d, draft, "password");
          continue;
        }
        if (test.kind === "invalid") {
          await d.say(d.t("conv-save-refused", { issues: issuesText(d, test.issues) }));
          if (!(await fixSourceIssues(d, draft, test.issues))) return endUnchanged(d, id);
          continue;
        }
        if (test.kind === "failed") {
          const next = await afterFailedEdit(d, test.reason);
          if (next === "cancel") return endUnchanged(d, id);
          if (next === "edit") {
            const other = await chooseSourceField(d, draft);
            if (other === "cancel") return endUnchanged(d, id);
            await askSourceField(d, draft, other);
            if (other !== "name") field = other;
          }
          continue;
        }
        passed = test.version ? d.t("conv-test-ok-version", { version: test.version }) : d.t("conv-test-ok");
      }
      const saved = await d.external(() => saveSource(d, draft));
      if (saved.kind === "saved") {
        await d.forgetSecrets();
        return showCard(d, saved.view, [passed, d.t("edit-src-saved", { name: saved.view.name })]);
      }
      if (saved.kind === "lost") {
        await d.say(d.t("conv-secret-lost"));
        await askSourceField(d, draft, "password");
      } else if (saved.kind === "invalid") {
        await d.say(d.t("conv-save-refused", { issues: issuesText(d, saved.issues) }));
        if (!(await fixSourceIssues(d, draft, saved.issues))) return endUnchanged(d, id);
      } else {
        await d.say(d.t("conv-save-failed", { reason: saved.reason }));
        return endUnchanged(d, id);
      }
    }
  };
}

/** Nothing saved: says so and shows the card as it is. */
async function endUnchanged(d: Dialog, id: number): Promise<void> {
  await d.forgetSecrets();
  const view = await d.external(() => (d.deps.sources.findRow(id) ? d.deps.sources.get(id) : null));
  if (!view) return void (await d.say(d.t("edit-unchanged")));
  await showCard(d, view, [d.t("edit-unchanged")]);
}

/** The source's card with its buttons, under the lines saying what happened. */
async function showCard(d: Dialog, view: SourceView, above: string[]): Promise<void> {
  const users = await d.external(() => sourceUsers(d.deps, view.id));
  const text = [...above.filter(Boolean), "", sourceCardText((k, p) => d.t(k, p), view, users)].join("\n");
  await d.ctx.api.sendMessage(d.chatId, text, { reply_markup: entityCardKeyboard((k) => d.t(k), "src", view.id) });
}

function saveSource(d: Dialog, draft: SourceDraft): SaveResult {
  const built = sourceSpecOf(d, draft);
  if (!built) return { kind: "lost" };
  try {
    return { kind: "saved", view: d.deps.sources.replace(draft.id ?? 0, built.spec) };
  } catch (err) {
    if (err instanceof ValidationError) return { kind: "invalid", issues: err.issues };
    const reason = reasonOf(d, err, [built.secret]);
    d.deps.log.error({ err: reason }, "saving a changed source from the bot failed");
    return { kind: "failed", reason };
  }
}

