-- Asterline schema v4: what the live conversation (AudioSocket <-> OpenAI Realtime) needs beyond v1.
-- Tenant defaults for the agent's behaviour, and per-call settings that outbound calls (or an AGI script
-- after AMD()) write before the AudioSocket leg starts. NULL in a per-call column means "the tenant's".

ALTER TABLE tenant
  -- the tenant's own OpenAI key; NULL = the service-wide openai.api-key. A secret: never logged or returned
  ADD COLUMN openai_api_key      text
                                 CONSTRAINT tenant_openai_api_key_not_blank CHECK (btrim(openai_api_key) <> ''),
  -- where a caller goes when the AI cannot serve the call (upstream refused, failed or closed mid-call)
  ADD COLUMN ai_fallback         text    NOT NULL DEFAULT 'transfer'
                                 CONSTRAINT tenant_ai_fallback_known CHECK (ai_fallback IN ('transfer', 'voicemail', 'hangup')),
  -- what the agent says before it ends a call in which the caller stopped talking
  ADD COLUMN ai_goodbye          text    NOT NULL DEFAULT 'It seems you are no longer there. Thank you for calling, goodbye.'
                                 CONSTRAINT tenant_ai_goodbye_not_blank CHECK (btrim(ai_goodbye) <> ''),
  ADD COLUMN silence_timeout_ms  integer NOT NULL DEFAULT 20000
                                 CONSTRAINT tenant_silence_timeout_range CHECK (silence_timeout_ms BETWEEN 1000 AND 3600000),
  -- which calls are checked for an answering machine during their first voicemail_window_ms
  ADD COLUMN voicemail_detection text    NOT NULL DEFAULT 'outbound'
                                 CONSTRAINT tenant_voicemail_detection_known CHECK (voicemail_detection IN ('off', 'outbound', 'all')),
  ADD COLUMN voicemail_window_ms integer NOT NULL DEFAULT 15000
                                 CONSTRAINT tenant_voicemail_window_range CHECK (voicemail_window_ms BETWEEN 1000 AND 120000),
  ADD COLUMN voicemail_action    text    NOT NULL DEFAULT 'hangup'
                                 CONSTRAINT tenant_voicemail_action_known CHECK (voicemail_action IN ('hangup', 'leave_message')),
  ADD COLUMN voicemail_message   text
                                 CONSTRAINT tenant_voicemail_message_not_blank CHECK (btrim(voicemail_message) <> ''),
  ADD CONSTRAINT tenant_voicemail_message_needed
                                 CHECK (voicemail_action <> 'leave_message' OR voicemail_message IS NOT NULL);

ALTER TABLE call
  -- AMDSTATUS / AMDCAUSE of Asterisk's AMD(), when the dialplan ran it before the agent leg
  ADD COLUMN amd_status               text
                                      CONSTRAINT call_amd_status_known CHECK (amd_status IN ('HUMAN', 'MACHINE', 'NOTSURE', 'HANGUP')),
  ADD COLUMN amd_cause                text,
  -- numbers transfer_call may reach besides the tenant's transfer_number
  ADD COLUMN allowed_transfer_numbers e164[] NOT NULL DEFAULT '{}',
  ADD COLUMN voicemail_detection      boolean,
  ADD COLUMN voicemail_action         text
                                      CONSTRAINT call_voicemail_action_known CHECK (voicemail_action IN ('hangup', 'leave_message')),
  ADD COLUMN voicemail_message        text
                                      CONSTRAINT call_voicemail_message_not_blank CHECK (btrim(voicemail_message) <> ''),
  -- why the agent leg ended, for operators reading a call
  ADD COLUMN agent_end_reason         text
                                      CONSTRAINT call_agent_end_reason_known CHECK (agent_end_reason IN (
                                        'caller_hangup', 'end_call', 'transfer', 'silence_timeout', 'voicemail',
                                        'upstream_failure', 'no_api_key', 'shutdown'));
