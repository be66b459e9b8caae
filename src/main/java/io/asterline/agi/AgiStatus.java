package io.asterline.agi;

/** The values of ASTERLINE_STATUS. Which script answers which is documented in agi-scripts/README.md. */
public enum AgiStatus {
  /** Done as asked. */
  OK,
  /** inbound: the dialled number belongs to no tenant, or is not in service. */
  UNKNOWN_DID,
  /** inbound: the tenant's or the cluster's concurrent call limit is reached, or this node is draining. */
  OVER_CAPACITY,
  /** inbound: the number's tenant is disabled. */
  TENANT_DISABLED,
  /** inbound, call-end: the database did not answer in time; answered from memory, written later. */
  DEGRADED,
  /** call-end, after-agent, voicemail-done: no call with that id. */
  UNKNOWN_CALL,
  /** after-agent: the agent stored no decision; ASTERLINE_NEXT is the tenant's fallback. */
  FALLBACK,
  /** voicemail-done: Record() kept nothing (RECORD_STATUS ERROR, SKIP or unset); nothing was stored. */
  NO_MESSAGE,
  /** Anything else went wrong; the dialplan takes its failure route. */
  ERROR
}
