import type { Context } from "grammy";
import type { DestinationView } from "../../services/destinations.service.js";
import { ValidationError, type Issue } from "../../services/errors.js";
import { chatTitles, destinationCardText, destinationUsers, languageName } from "../features/cards.js";
import { entityCardKeyboard } from "../keyboards/entities.js";
import {
  askDestinationField,
  chooseDestinationField,
  describeDestination,
  destinationDraftOf,
  destinationSpecOf,
  fixDestinationIssues,
  lookUpChats,
  secretField,
  testDestination,
  UNTESTED_FIELDS,
  type DestinationDraft,
} from "./destination-steps.js";
import { Dialog, type Convo, type DialogEnv } from "./dialog.js";
import { afterFailedEdit, issuesText, reasonOf, type EditArgs } from "./steps.js";

/**
 * The destination card's ✏️ Edit: which setting (current values on the buttons) → that
 * field's step, as /newdest asks it → connection test → saved → the card again. A refused test
 * saves nothing. The destination keeps its id, so the jobs delivering to it follow.
 */

type SaveResult = { kind: "saved"; view: DestinationView } | { kind: "invalid"; issues: Issue[] } | { kind: "failed"; reason: string } | { kind: "lost" };

export function editDestinationConversation(env: DialogEnv) {
  return async function editDestination(convo: Convo, ctx: Context, args?: EditArgs): Promise<void> {
    const d = await Dialog.open(convo, ctx, env, args, "conv-dialog-edit-destination");
    const id = args?.id ?? 0;
    const view = await d.external(() => (d.deps.destinations.findRow(id) ? d.deps.destinations.get(id) : null));
    if (!view) {
      await d.say(d.t("error-not-found"));
      return;
    }
    const draft = destinationDraftOf(view);
    await lookUpChats(d, draft);
    let field = await chooseDestinationField(d, draft, d.t("edit-dest-head", { name: view.name }));
    if (field === "cancel") return endUnchanged(d, id);
    await askDestinationField(d, draft, field);

    let passed = "";
    for (;;) {
      if (!UNTESTED_FIELDS.has(field)) {
        await d.say(testingText(d, draft));
        const test = await d.external(() => testDestination(d, draft));
        if (test.kind === "lost") {
          await d.say(d.t("conv-secret-lost"));
          await askDestinationField(d, draft, secretField(draft.kind));
          continue;
        }
        if (test.kind === "invalid") {
          await d.say(d.t("conv-save-refused", { issues: issuesText(d, test.issues) }));
          if (!(await fixDestinationIssues(d, draft, test.issues))) return endUnchanged(d, id);
          continue;
        }
        if (test.kind === "failed") {
          const next = await afterFailedEdit(d, test.reason);
          if (next === "cancel") return endUnchanged(d, id);
          if (next === "edit") {
            const other = await chooseDestinationField(d, draft);
            if (other === "cancel") return endUnchanged(d, id);
            await askDestinationField(d, draft, other);
            if (!UNTESTED_FIELDS.has(other)) field = other;
          }
          continue;
        }
        passed = d.t("conv-test-ok");
      }
      const saved = await d.external(() => saveDestination(d, draft));
      if (saved.kind === "saved") {
        await d.forgetSecrets();
        return showCard(d, saved.view, [passed, d.t("edit-dest-saved", { name: saved.view.name })]);
      }
      if (saved.kind === "lost") {
        await d.say(d.t("conv-secret-lost"));
        await askDestinationField(d, draft, secretField(draft.kind));
      } else if (saved.kind === "invalid") {
        await d.say(d.t("conv-save-refused", { issues: issuesText(d, saved.issues) }));
        if (!(await fixDestinationIssues(d, draft, saved.issues))) return endUnchanged(d, id);
      } else {
        await d.say(d.t("conv-save-failed", { reason: saved.reason }));
        return endUnchanged(d, id);
      }
    }
  };
}

function testingText(d: Dialog, draft: DestinationDraft): string {
  if (draft.kind === "s3") return d.t("s3-conv-testing", { target: describeDestination(draft) });
  return d.t(draft.kind === "telegram" ? "conv-dest-testing-telegram" : "conv-dest-testing-local", { target: describeDestination(draft) });
}

/** Nothing saved: says so and shows the card as it is. */
async function endUnchanged(d: Dialog, id: number): Promise<void> {
  await d.forgetSecrets();
  const view = await d.external(() => (d.deps.destinations.findRow(id) ? d.deps.destinations.get(id) : null));
  if (!view) return void (await d.say(d.t("edit-unchanged")));
  await showCard(d, view, [d.t("edit-unchanged")]);
}

/** The destination's card with its buttons, under the lines saying what happened. */
async function showCard(d: Dialog, view: DestinationView, above: string[]): Promise<void> {
  const users = await d.external(() => destinationUsers(d.deps, view.id));
  const titles = await chatTitles(d.ctx.api, view);
  const language = view.language ? languageName(d.deps.translate, view.language) : undefined;
  const text = [...above.filter(Boolean), "", destinationCardText((k, p) => d.t(k, p), view, users, titles, language)].join("\n");
  await d.ctx.api.sendMessage(d.chatId, text, { reply_markup: entityCardKeyboard((k) => d.t(k), "dst", view.id) });
}

function saveDestination(d: Dialog, draft: DestinationDraft): SaveResult {
  const built = destinationSpecOf(d, draft);
  if (!built) return { kind: "lost" };
  try {
    return { kind: "saved", view: d.deps.destinations.replace(draft.id ?? 0, built.spec) };
  } catch (err) {
    if (err instanceof ValidationError) return { kind: "invalid", issues: err.issues };
    const reason = reasonOf(d, err, [built.secret]);
    d.deps.log.error({ err: reason }, "saving a changed destination from the bot failed");
    return { kind: "failed", reason };
  }
}
