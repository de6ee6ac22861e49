import type { ChatRoute } from "../../domain.js";
import type { Dialog } from "./dialog.js";
import { askChat, askThread, reasonOf } from "./steps.js";

/** A job's message routes: where its success messages and failure alerts go (job-steps.ts asks; summaries show). */

/** Where success messages or failure alerts go: the destination chats, or another chat (+ topic), tested first. */
export async function askRoute(d: Dialog, jobName: string, which: "success" | "failure"): Promise<ChatRoute | undefined> {
  const choice = await d.choose(d.t(which === "success" ? "conv-job-notify-success" : "conv-job-notify-failure"), [
    [{ value: "same", label: d.t("conv-notify-same") }],
    [{ value: "other", label: d.t("conv-notify-other") }],
  ]);
  if (choice === "same") return undefined;
  for (;;) {
    const chat = await askChat(d, d.t("conv-job-notify-chat"), [{ value: "same", label: d.t("conv-notify-same") }]);
    if ("button" in chat) return undefined;
    const thread = await askThread(d, d.t("conv-job-notify-thread"));
    const route: ChatRoute = { chat_id: chat.chatId, ...(thread !== undefined ? { thread_id: thread } : {}) };
    await d.say(d.t("conv-dest-testing-telegram", { target: chat.chatId }));
    const failure = await d.external(async () => {
      try {
        await d.deps.checkDestination({ kind: "telegram", name: jobName, chatId: route.chat_id, ...(route.thread_id ? { threadId: route.thread_id } : {}) });
        return null;
      } catch (err) {
        return reasonOf(d, err, []);
      }
    });
    if (failure === null) {
      await d.say(d.t("conv-test-ok"));
      return route;
    }
    const next = await d.choose(d.t("conv-test-failed", { reason: failure }), [
      [{ value: "again", label: d.t("conv-btn-other-chat") }],
      [{ value: "keep", label: d.t("conv-btn-keep-anyway") }],
      [{ value: "same", label: d.t("conv-notify-same") }],
    ]);
    if (next === "keep") return route;
    if (next === "same") return undefined;
  }
}

/** A chat route as shown in summaries and on buttons. */
export function routeText(d: Dialog, r: ChatRoute | undefined): string {
  if (!r) return d.t("conv-notify-same");
  return r.thread_id ? d.t("conv-summary-route-topic", { chat: r.chat_id, topic: String(r.thread_id) }) : r.chat_id;
}
