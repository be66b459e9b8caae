-- Asterline schema v21: the cost ledger prices each call on the provider that carried it, and on the other one
-- (issue #15, the evidence to raise the Asterisk share).
--
-- carrier_per_minute / carrier_cost are now what the call cost on its own provider (call_cost.provider, V20): an
-- Asterisk call its SIP trunk's rate per second, a Twilio call Twilio's rate per whole minute (Twilio rounds each
-- call up). Beside it every row keeps both providers' prices for the same call:
--   twilio_minutes / twilio_cost (V19): on Twilio; for a Twilio call this is what Twilio charged (minutes, plus its
--     recording fee only when Twilio did the recording), for an Asterisk call the V19 comparison (minutes, plus
--     recording minutes when recorded, as Twilio charged when it recorded the calls)
--   asterisk_per_minute / asterisk_cost: on the SIP trunk of the call (an outbound call's trunk, else its DID's, else
--     the costs.* defaults); for an Asterisk call the same as carrier_*
-- recording_cost is what the provider charged to record (Twilio's fee when Twilio recorded; Asterline's own
-- recordings cost no carrier fee); transcription_cost is the transcription of the call's recording (OpenAI's price
-- per minute of audio), for calls whose recording is transcribed.
ALTER TABLE call_cost
  ADD COLUMN recording_cost      numeric(14,6) NOT NULL DEFAULT 0 CHECK (recording_cost >= 0),
  ADD COLUMN transcribed         boolean       NOT NULL DEFAULT false,
  ADD COLUMN transcription_cost  numeric(14,6) NOT NULL DEFAULT 0 CHECK (transcription_cost >= 0),
  ADD COLUMN asterisk_per_minute numeric(12,6),
  ADD COLUMN asterisk_cost       numeric(14,6);

-- every row priced so far is an Asterisk call priced on its trunk (V20 gave them all provider 'asterisk')
UPDATE call_cost SET asterisk_per_minute = carrier_per_minute, asterisk_cost = carrier_cost;

ALTER TABLE call_cost
  ALTER COLUMN asterisk_per_minute SET NOT NULL,
  ALTER COLUMN asterisk_cost SET NOT NULL;

