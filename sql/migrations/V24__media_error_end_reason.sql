-- Asterline schema v24: an agent leg that broke on Asterline's side (a malformed message from Asterisk, a bug)
-- says so as media_error; it was stored as caller_hangup, which sent operators looking at the wrong end.
ALTER TABLE call DROP CONSTRAINT call_agent_end_reason_known;
ALTER TABLE call ADD CONSTRAINT call_agent_end_reason_known CHECK (agent_end_reason IN (
  'caller_hangup', 'end_call', 'transfer', 'silence_timeout', 'voicemail', 'upstream_failure', 'no_api_key',
  'shutdown', 'media_error'));
