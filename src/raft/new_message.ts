import type { Message } from "./types.ts";

/** A complete message from the fields that matter; every other field is zero or empty. */
export function newMessage(
  fields: Partial<Message> & Pick<Message, "type" | "from" | "to" | "term">,
): Message {
  return {
    groupId: 0,
    index: 0,
    logTerm: 0,
    commitIndex: 0,
    entries: [],
    reject: false,
    rejectHint: 0,
    context: 0,
    snapshot: null,
    ...fields,
  };
}
