-- Asterline schema v5: the durable recording pipeline (store, transcribe) and what the admin reports read.
-- The queue lives here so that any node's worker can take any job, and a job whose worker died is taken
-- again once its lease runs out. Progress is recorded per step, so a restarted job never redoes a step
-- that completed (and a step that is redone writes the same object / the same transcript again).

-- transcription costs money per minute of audio, so it is off until a tenant asks for it
ALTER TABLE tenant ADD COLUMN transcription_enabled boolean NOT NULL DEFAULT false;

-- the transcript lives on the call: one call, at most one transcript, whatever retried
ALTER TABLE call ADD COLUMN transcript     text;
ALTER TABLE call ADD COLUMN transcribed_at timestamptz;
ALTER TABLE call ADD CONSTRAINT call_transcript_has_time CHECK ((transcript IS NULL) = (transcribed_at IS NULL));

CREATE TABLE recording_job (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- one job per call: enqueueing twice (call-end retried, the sweep) is a no-op
  call_id        uuid        NOT NULL CONSTRAINT recording_job_call_unique UNIQUE REFERENCES call (id) ON DELETE CASCADE,
  tenant_id      bigint      NOT NULL REFERENCES tenant (id),
  -- absolute path MixMonitor wrote (MIXMONITOR_FILENAME)
  source_file    text        NOT NULL CONSTRAINT recording_job_source_not_blank CHECK (btrim(source_file) <> ''),
  state          text        NOT NULL DEFAULT 'pending'
                             CONSTRAINT recording_job_state_known CHECK (state IN ('pending', 'running', 'done', 'failed')),
  -- the next step to run; steps only move forward
  step           text        NOT NULL DEFAULT 'capture'
                             CONSTRAINT recording_job_step_known CHECK (step IN ('capture', 'store', 'transcribe', 'cleanup', 'done')),
  attempts       integer     NOT NULL DEFAULT 0 CONSTRAINT recording_job_attempts_not_negative CHECK (attempts >= 0),
  run_after      timestamptz NOT NULL DEFAULT now(),
  -- who holds the job and until when; a new token per claim, so a worker that lost its lease cannot write
  lease_token    uuid,
  lease_owner    text,
  lease_until    timestamptz,
  -- capture: the finished file's size, once it stopped changing
  captured_bytes bigint      CONSTRAINT recording_job_captured_positive CHECK (captured_bytes > 0),
  captured_at    timestamptz,
  -- store: where the audio is kept (a local path, or an S3 object key in the bucket)
  storage        text        CONSTRAINT recording_job_storage_known CHECK (storage IN ('local', 's3')),
  storage_bucket text,
  storage_key    text,
  stored_at      timestamptz,
  -- transcribe: whether the tenant wanted it when the step ran, and how many uploads it took
  transcription  text        CONSTRAINT recording_job_transcription_known CHECK (transcription IN ('done', 'skipped')),
  transcript_parts integer   CONSTRAINT recording_job_parts_positive CHECK (transcript_parts > 0),
  last_error     text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz,
  CONSTRAINT recording_job_running_has_lease CHECK (state <> 'running' OR (lease_token IS NOT NULL AND lease_until IS NOT NULL)),
  CONSTRAINT recording_job_stored_has_key CHECK (stored_at IS NULL OR (storage IS NOT NULL AND storage_key IS NOT NULL)),
  CONSTRAINT recording_job_s3_has_bucket CHECK (storage IS DISTINCT FROM 's3' OR storage_bucket IS NOT NULL),
  CONSTRAINT recording_job_done_is_done CHECK ((state = 'done') = (step = 'done'))
);

-- what a worker's claim scans: jobs that are due, and running jobs whose lease may have run out
CREATE INDEX recording_job_due_idx ON recording_job (run_after) WHERE state IN ('pending', 'running');
CREATE INDEX recording_job_tenant_idx ON recording_job (tenant_id, created_at);
CREATE INDEX recording_job_failed_idx ON recording_job (id) WHERE state = 'failed';

-- the sweep that enqueues recorded calls whose call-end could not reach the queue, and the reports by day
CREATE INDEX call_recorded_idx ON call (ended_at) WHERE recording_file IS NOT NULL;
CREATE INDEX call_created_idx ON call (created_at);
