-- Asterline schema v20: Twilio as a second telephony provider beside Asterisk (issue #15).
--
-- Every call row says which provider carried it. Asterisk calls keep the default; a Twilio call (inbound through
-- the voice webhook, outbound through the REST API) also keeps Twilio's CallSid (CA + 32 hex digits), which its
-- status callbacks and Media Streams name the call by.
ALTER TABLE call ADD COLUMN provider text NOT NULL DEFAULT 'asterisk'
  CONSTRAINT call_provider_known CHECK (provider IN ('asterisk', 'twilio'));
ALTER TABLE call ADD COLUMN provider_call_sid text
  CONSTRAINT call_provider_call_sid_format CHECK (provider_call_sid ~ '^CA[0-9a-f]{32}$');
CREATE UNIQUE INDEX call_provider_call_sid_idx ON call (provider_call_sid) WHERE provider_call_sid IS NOT NULL;

-- The gradual move off Twilio: the share (0-100 %) of a tenant's outbound calls placed through Asterisk, the rest
-- through Twilio; null follows telephony.provider (asterisk = 100, twilio = 0). provider_failover: a call whose
-- provider is down or refuses it is placed through the other one instead of failing.
ALTER TABLE tenant ADD COLUMN asterisk_share smallint
  CONSTRAINT tenant_asterisk_share_range CHECK (asterisk_share BETWEEN 0 AND 100);
ALTER TABLE tenant ADD COLUMN provider_failover boolean NOT NULL DEFAULT false;

-- The ledger prices a call with its provider's rates, and the comparison report groups by it.
ALTER TABLE call_cost ADD COLUMN provider text NOT NULL DEFAULT 'asterisk'
  CONSTRAINT call_cost_provider_known CHECK (provider IN ('asterisk', 'twilio'));
CREATE INDEX call_tenant_provider_created_idx ON call (tenant_id, provider, created_at);
