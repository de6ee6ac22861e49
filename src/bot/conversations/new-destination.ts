import type { Context } from "grammy";
import type { DestinationKind } from "../../destinations/port.js";
import { ValidationError, type Issue } from "../../services/errors.js";
import { DESTINATION_ICON, destinationLines, languageName } from "../features/cards.js";
import {
  askDestinationField,
  chooseDestinationField,
  describeDestination,
  destinationSpecOf,
  destinationViewOf,
  draftTitles,
  fixDestinationIssues,
  NEW_DESTINATION_FIELDS,
  secretField,
  testDestination,
  type DestinationDraft,
} from "./destination-steps.js";
import { Dialog, type Convo, type DialogArgs, type DialogEnv } from "./dialog.js";
import { afterFailedTest, cancelDialog, issuesText, reasonOf, review } from "./steps.js";

/** /newdest: kind → chat (+ topic for forums, + own bot, + mirror chat) or folder or bucket → name → connection test → review → save. */

type SaveResult = { kind: "saved"; name: string } | { kind: "invalid"; issues: Issue[] } | { kind: "failed"; reason: string } | { kind: "lost" };

export function newDestinationConversation(env: DialogEnv) {
  return async function newDestination(convo: Convo, ctx: Context, args?: DialogArgs): Promise<void> {
    const d = await Dialog.open(convo, ctx, env, args, "conv-dialog-new-destination");
    const kind = (await d.choose(d.t("conv-dest-kind"), [
      [{ value: "telegram", label: d.t("conv-dest-kind-telegram") }],
      [{ value: "local", label: d.t("conv-dest-kind-local") }],
      [{ value: "s3", label: d.t("s3-conv-kind") }],
    ])) as DestinationKind;
    // Posts in a channel speak the language of the admin who set it up, until changed on its card.
    const draft: DestinationDraft = kind === "telegram" ? { kind, language: d.locale } : { kind };
    for (const field of NEW_DESTINATION_FIELDS[kind]) await askDestinationField(d, draft, field);

    for (;;) {
      if (kind === "s3") await d.say(d.t("s3-conv-testing", { target: describeDestination(draft) }));
      else await d.say(d.t(kind === "telegram" ? "conv-dest-testing-telegram" : "conv-dest-testing-local", { target: describeDestination(draft) }));
      const test = await d.external(() => testDestination(d, draft));
      if (test.kind === "lost") {
        await d.say(d.t("conv-secret-lost"));
        await askDestinationField(d, draft, secretField(draft.kind));
        continue;
      }
      if (test.kind === "invalid") {
        await d.say(d.t("conv-save-refused", { issues: issuesText(d, test.issues) }));
        if (!(await fixDestinationIssues(d, draft, test.issues))) return cancelDialog(d);
        continue;
      }
      if (test.kind === "failed") {
        const next = await afterFailedTest(d, test.reason);
        if (next === "cancel") return cancelDialog(d);
        if (next === "edit" && !(await changeSetting(d, draft))) return cancelDialog(d);
        if (next !== "save") continue;
      } else {
        const choice = await review(d, `${d.t("conv-test-ok")}\n\n${reviewText(d, draft)}`);
        if (choice === "cancel") return cancelDialog(d);
        if (choice === "edit") {
          if (!(await changeSetting(d, draft))) return cancelDialog(d);
          continue;
        }
      }
      const saved = await d.external(() => saveDestination(d, draft));
      if (saved.kind === "saved") {
        await d.forgetSecrets();
        await d.say(d.t("conv-dest-saved", { name: saved.name }));
        return;
      }
      if (saved.kind === "lost") {
        await d.say(d.t("conv-secret-lost"));
        await askDestinationField(d, draft, secretField(draft.kind));
      } else if (saved.kind === "invalid") {
        await d.say(d.t("conv-save-refused", { issues: issuesText(d, saved.issues) }));
        if (!(await fixDestinationIssues(d, draft, saved.issues))) return cancelDialog(d);
      } else {
        await d.say(d.t("conv-save-failed", { reason: saved.reason }));
        if (!(await changeSetting(d, draft))) return cancelDialog(d);
      }
    }
  };
}

/** The edit menu over the draft; false when the user cancelled there. */
async function changeSetting(d: Dialog, draft: DestinationDraft): Promise<boolean> {
  const field = await chooseDestinationField(d, draft);
  if (field === "cancel") return false;
  await askDestinationField(d, draft, field);
  return true;
}

/** "Review the new destination" and what will be saved (chats by title, a secret only as "set", the posts' language). */
function reviewText(d: Dialog, draft: DestinationDraft): string {
  const view = destinationViewOf(draft);
  const language = draft.language ? languageName(d.deps.translate, draft.language) : undefined;
  return [
    d.t("conv-dest-review"),
    d.t("dests-card-head", { icon: DESTINATION_ICON[view.kind], name: view.name, kind: view.kind }),
    ...destinationLines((k, p) => d.t(k, p), view, draftTitles(draft), language),
  ].join("\n");
}

function saveDestination(d: Dialog, draft: DestinationDraft): SaveResult {
  const built = destinationSpecOf(d, draft);
  if (!built) return { kind: "lost" };
  try {
    const view = d.deps.destinations.create(built.spec);
    return { kind: "saved", name: view.name };
  } catch (err) {
    if (err instanceof ValidationError) return { kind: "invalid", issues: err.issues };
    const reason = reasonOf(d, err, [built.secret]);
    d.deps.log.error({ err: reason }, "saving a destination from the bot failed");
    return { kind: "failed", reason };
  }
}
