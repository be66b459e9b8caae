-- Asterline schema v8: Asterline's own voicemail. A caller the agent cannot take (the tenant's route or fallback
-- is voicemail) hears the tenant's greeting and leaves a message that Record() writes next to the call's
-- recordings; the voicemail-done FastAGI script stores it here, and the recording job queue stores and
-- transcribes it like a call recording. No voicemail.conf mailbox and no app_voicemail are involved.
--
-- Not to be confused with call.voicemail_result / voicemail_action / voicemail_message (V1, V4): those are
-- about answering machines the agent reaches; these columns are about messages callers leave for the tenant.

-- the sound the caller hears before the beep, as Playback() names it: a name under Asterisk's sounds
-- directory without extension (custom/acme-voicemail) or an absolute path without extension; unset = Asterisk's
-- vm-intro. Only letters, digits, _ and - between the slashes: nothing the dialplan would act on, no '..'.
ALTER TABLE tenant ADD COLUMN voicemail_greeting_sound text
  CONSTRAINT tenant_voicemail_greeting_sound_format
    CHECK (voicemail_greeting_sound ~ '^/?[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$' AND length(voicemail_greeting_sound) <= 200);

-- one message per call, on the call: the first voicemail-done wins, a repeat changes nothing
ALTER TABLE call
  -- absolute path Record() wrote: <recordings dir>/<tenant>/<call id>-voicemail.wav
  ADD COLUMN voicemail_file           text        CONSTRAINT call_voicemail_file_not_blank CHECK (btrim(voicemail_file) <> ''),
  -- as Asterisk measured it (RECORDING_INFO(duration)): from the beep to the end, trailing silence included
  ADD COLUMN voicemail_duration_ms    integer     CONSTRAINT call_voicemail_duration_not_negative CHECK (voicemail_duration_ms >= 0),
  -- when voicemail-done stored it (the message's end)
  ADD COLUMN voicemail_at             timestamptz,
  ADD COLUMN voicemail_transcript     text,
  ADD COLUMN voicemail_transcribed_at timestamptz,
  ADD CONSTRAINT call_voicemail_has_time CHECK ((voicemail_file IS NULL) = (voicemail_at IS NULL)),
  ADD CONSTRAINT call_voicemail_transcript_has_time
    CHECK ((voicemail_transcript IS NULL) = (voicemail_transcribed_at IS NULL));

-- the recording queue carries both kinds of audio: a call may have its recording and its voicemail, one job each
ALTER TABLE recording_job
  ADD COLUMN kind text NOT NULL DEFAULT 'call' CONSTRAINT recording_job_kind_known CHECK (kind IN ('call', 'voicemail'));
ALTER TABLE recording_job DROP CONSTRAINT recording_job_call_unique;
ALTER TABLE recording_job ADD CONSTRAINT recording_job_call_kind_unique UNIQUE (call_id, kind);

-- the sweep that enqueues voicemails whose job could not be added when they were stored, and the reports
CREATE INDEX call_voicemail_idx ON call (voicemail_at) WHERE voicemail_file IS NOT NULL;
