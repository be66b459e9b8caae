-- Asterline schema v19: recording consent and a cost ledger per call (issue #16).
--
-- Consent: a tenant may have an announcement (a sound as Playback() names it, the same format as the voicemail
-- greeting) that the dialplan plays before the agent speaks; consent_order says whether it plays before
-- MixMonitor starts (before_recording) or after (after_recording). The call row keeps when it was announced,
-- written by the consent-announced AGI script right after the Playback.
ALTER TABLE tenant ADD COLUMN consent_sound text
  CONSTRAINT tenant_consent_sound_format
    CHECK (consent_sound ~ '^/?[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$' AND length(consent_sound) <= 200);
ALTER TABLE tenant ADD COLUMN consent_order text NOT NULL DEFAULT 'before_recording'
  CONSTRAINT tenant_consent_order_known CHECK (consent_order IN ('before_recording', 'after_recording'));

ALTER TABLE call ADD COLUMN consent_announced_at timestamptz;

-- The Realtime usage the agent summed over the call's response.done events (response.usage), stored with its
-- outcome. Cached input tokens are part of the input tokens (OpenAI bills them at the cached price instead).
ALTER TABLE call ADD COLUMN rt_text_in_tokens         bigint NOT NULL DEFAULT 0;
ALTER TABLE call ADD COLUMN rt_audio_in_tokens        bigint NOT NULL DEFAULT 0;
ALTER TABLE call ADD COLUMN rt_cached_text_in_tokens  bigint NOT NULL DEFAULT 0;
ALTER TABLE call ADD COLUMN rt_cached_audio_in_tokens bigint NOT NULL DEFAULT 0;
ALTER TABLE call ADD COLUMN rt_text_out_tokens        bigint NOT NULL DEFAULT 0;
ALTER TABLE call ADD COLUMN rt_audio_out_tokens       bigint NOT NULL DEFAULT 0;

-- One row per ended call, written once (INSERT ... ON CONFLICT DO NOTHING) by the cost ledger job on any node,
-- with the rates in force then, so a later rate change never rewrites what a call cost. Amounts in US dollars.
CREATE TABLE call_cost (
  call_id            uuid          PRIMARY KEY REFERENCES call (id) ON DELETE CASCADE,
  tenant_id          bigint        NOT NULL REFERENCES tenant (id),
  direction          text          NOT NULL,
  trunk              text,
  ended_at           timestamptz   NOT NULL,
  -- from the answer to the end; a call never answered bills nothing
  billed_seconds     integer       NOT NULL CHECK (billed_seconds >= 0),
  carrier_per_minute numeric(12,6) NOT NULL,
  carrier_cost       numeric(14,6) NOT NULL,
  realtime_cost      numeric(14,6) NOT NULL,
  recorded           boolean       NOT NULL,
  -- the same call on Twilio: whole minutes (Twilio rounds each call up), plus recording minutes when recorded
  twilio_minutes     integer       NOT NULL,
  twilio_cost        numeric(14,6) NOT NULL,
  computed_at        timestamptz   NOT NULL DEFAULT now()
);

CREATE INDEX call_cost_tenant_ended_idx ON call_cost (tenant_id, ended_at);
CREATE INDEX call_ended_idx ON call (ended_at) WHERE ended_at IS NOT NULL;
