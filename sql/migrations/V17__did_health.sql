-- Number health: a DID whose outbound calls stop being answered (or are answered and hung up at once, the mark
-- of a number labelled "Scam Likely") sits out a cool-off period, and rotation keeps a lead on one caller ID.
--
-- Quarantine is kept apart from status: status is the operator's word (active, available, inactive,
-- quarantined by hand), the quarantine columns are the health evaluation's, so the end of a cool-off never has
-- to guess which status to go back to. Rotation skips a number while quarantined_until lies ahead, so it comes
-- back at that moment even when no evaluation runs; the evaluation then clears the columns and starts the
-- number's health window afresh (health_since), so the calls that put it in quarantine do not put it back.
ALTER TABLE did
  -- the end of an automatic quarantine; NULL = none
  ADD COLUMN quarantined_until timestamptz,
  ADD COLUMN quarantined_at    timestamptz,
  -- why, in words an operator reads: which figure, its value, the threshold, over how many calls
  ADD COLUMN quarantine_reason text CONSTRAINT did_quarantine_reason_length CHECK (length(quarantine_reason) <= 500),
  -- pinned by an operator: never quarantined automatically
  ADD COLUMN health_pinned     boolean NOT NULL DEFAULT false,
  -- calls before this moment do not count towards the number's health (the end of its last quarantine)
  ADD COLUMN health_since      timestamptz,
  ADD CONSTRAINT did_quarantine_complete
    CHECK ((quarantined_until IS NULL) = (quarantine_reason IS NULL)
       AND (quarantined_until IS NULL) = (quarantined_at IS NULL));

-- A tenant's own rotation and health settings; a NULL column (or no row) = the configured default
-- (did.daily-cap, did.health.*).
CREATE TABLE did_policy (
  tenant_id                   bigint PRIMARY KEY REFERENCES tenant (id) ON DELETE CASCADE,
  -- picks per DID and day for the tenant's DIDs without their own cap
  daily_cap                   integer CONSTRAINT did_policy_daily_cap_positive CHECK (daily_cap > 0),
  -- fewer outbound calls than this in the window: too few to judge, never quarantined
  health_min_calls            integer CONSTRAINT did_policy_min_calls_positive CHECK (health_min_calls > 0),
  -- answered / calls below this quarantines
  health_min_answer_rate      numeric CONSTRAINT did_policy_min_answer_rate_ratio
                                      CHECK (health_min_answer_rate BETWEEN 0 AND 1),
  -- short answered calls / answered calls above this quarantines
  health_max_short_call_ratio numeric CONSTRAINT did_policy_max_short_ratio_ratio
                                      CHECK (health_max_short_call_ratio BETWEEN 0 AND 1),
  -- answering machines / answered calls above this quarantines (1 = never)
  health_max_voicemail_rate   numeric CONSTRAINT did_policy_max_voicemail_rate_ratio
                                      CHECK (health_max_voicemail_rate BETWEEN 0 AND 1),
  health_cool_off_seconds     integer CONSTRAINT did_policy_cool_off_positive CHECK (health_cool_off_seconds > 0),
  updated_at                  timestamptz NOT NULL DEFAULT now()
);

-- the health evaluation reads each DID's recent calls
CREATE INDEX call_did_created_idx ON call (did_id, created_at) WHERE did_id IS NOT NULL;
-- a sticky pick finds the caller ID of a lead's last call
CREATE INDEX outbound_call_lead_idx ON outbound_call (tenant_id, lead_id) WHERE lead_id IS NOT NULL;

-- Where a call went, as number health groups it: the area code of a North American number ('+1 415'), else its
-- country calling code ('+44', '+420'). The two-digit codes are those ITU assigns; the rest are three digits.
CREATE FUNCTION did_destination(number text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN number ~ '^\+1[2-9][0-9]{9}$' THEN '+1 ' || substr(number, 3, 3)
    WHEN number ~ '^\+[17][0-9]' THEN substr(number, 1, 2)
    WHEN number ~ '^\+(2[07]|3[0-469]|4[013-9]|5[1-8]|6[0-6]|8[1246]|9[0-58])[0-9]' THEN substr(number, 1, 3)
    WHEN number ~ '^\+[2-9][0-9]{3}' THEN substr(number, 1, 4)
    ELSE 'unknown'
  END
$$;
