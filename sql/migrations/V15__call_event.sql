-- Asterline schema v15: what happened during a call's conversation, one row per moment, for the console's call
-- page (a timeline) and its live view (the agent's last words while the call is still going).
--
-- The call row keeps the totals (barge_in_count, conversation, agent_decision, ...), written once when the agent
-- leg ends; these rows are written as things happen, by the node holding the agent leg, off the call's event loop.
-- They are a narrative, not a source of truth: a write that fails (the database is down) is dropped and counted,
-- never retried in the call's path. No foreign key to call: a call admitted while the database was down gets its
-- row later, from the journal, and its events must not be refused meanwhile.
CREATE TABLE call_event (
  id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_id uuid        NOT NULL,
  at      timestamptz NOT NULL DEFAULT now(),
  --   connected   the agent leg started: {"transport": "audiosocket"}
  --   greeting    the caller first heard the agent: {"ms": since the leg connected}
  --   turn        one side finished speaking: {"role": "caller" | "agent", "text": "..."}
  --   barge_in    the caller spoke over the agent: {"stop_ms": until the agent's audio stopped}
  --   tool_call   the agent called a tool: {"name": "transfer_call" | "end_call" | ..., "arguments": {...}}
  --   voicemail   answering-machine detection decided: {"result": "human" | "machine", "why": "..."}
  --   fallback    the agent could not serve the call: {"reason": "upstream_failure" | ..., "decision": "transfer" | ...}
  kind    text        NOT NULL CONSTRAINT call_event_kind_known CHECK (kind IN
                        ('connected', 'greeting', 'turn', 'barge_in', 'tool_call', 'voicemail', 'fallback')),
  detail  jsonb       NOT NULL DEFAULT '{}'::jsonb
                      CONSTRAINT call_event_detail_is_object CHECK (jsonb_typeof(detail) = 'object')
);

CREATE INDEX call_event_call_idx ON call_event (call_id, at, id);
