package io.asterline.agent;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.tenant.TenantApiKeys;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/** Reads a call's agent settings when its AudioSocket leg connects, marking the call connected. */
public final class CallSettingsRepository {

  private final DSLContext dsl;
  private final TenantApiKeys apiKeys;

  public CallSettingsRepository(DSLContext dsl, TenantApiKeys apiKeys) {
    this.dsl = dsl;
    this.apiKeys = apiKeys;
  }

  /**
   * Marks the call connected to the agent (and answered, if nothing said so before) and returns its settings,
   * in one statement; empty when no such call exists, it has already ended (the caller is gone, nothing to
   * talk to), or it already had its agent leg, here or on another node. The tenant's OpenAI key comes back
   * decrypted; one that does not decrypt fails the read (never falls back to the service's key).
   */
  /** A tenant's key from its stored form (sealed, or plain text from before encryption), for the Realtime session. */
  public String revealApiKey(long tenantId, String stored) {
    return apiKeys.reveal(tenantId, stored);
  }

  public Optional<CallSettings> connect(UUID callId) {
    return dsl.update(CALL)
        .set(CALL.AGENT_CONNECTED_AT, DSL.currentOffsetDateTime())
        // an inbound call is answered by the dialplan's Answer() just before it dials the agent; this connect is
        // the first Asterline hears of it (an outbound call has its answer from AMI or outbound-answered)
        .set(CALL.ANSWERED_AT, DSL.coalesce(CALL.ANSWERED_AT, DSL.currentOffsetDateTime()))
        .set(CALL.STATE, DSL.when(CALL.STATE.in("created", "ringing", "answered"), DSL.inline("connected"))
            .otherwise(CALL.STATE))
        .from(TENANT)
        .where(CALL.ID.eq(callId))
        .and(CALL.TENANT_ID.eq(TENANT.ID))
        .and(CALL.STATE.notIn("ended", "failed"))
        // one agent leg per call in the whole cluster: Asterisk never reconnects an AudioSocket leg, so a second
        // connection naming a call that already had one (on this node or another) is a copied call id
        .and(CALL.AGENT_CONNECTED_AT.isNull())
        .returningResult(CALL.TENANT_ID, CALL.DIRECTION, TENANT.OPENAI_API_KEY, TENANT.AI_MODEL, TENANT.AI_VOICE,
            TENANT.AI_INSTRUCTIONS, TENANT.AI_GREETING, TENANT.AI_GOODBYE, TENANT.AI_LANGUAGE,
            TENANT.TRANSFER_NUMBER, CALL.ALLOWED_TRANSFER_NUMBERS, TENANT.AI_FALLBACK, TENANT.SILENCE_TIMEOUT_MS,
            TENANT.VOICEMAIL_DETECTION, CALL.VOICEMAIL_DETECTION, TENANT.VOICEMAIL_WINDOW_MS,
            DSL.coalesce(CALL.VOICEMAIL_ACTION, TENANT.VOICEMAIL_ACTION),
            DSL.coalesce(CALL.VOICEMAIL_MESSAGE, TENANT.VOICEMAIL_MESSAGE), CALL.AMD_STATUS)
        .fetchOptional()
        .map(r -> {
          String direction = r.value2();
          String tenantDetection = r.value14();
          boolean detect = r.value15() != null ? r.value15()
              : "all".equals(tenantDetection) || ("outbound".equals(tenantDetection) && "outbound".equals(direction));
          return new CallSettings(callId, r.value1(), direction,
              Optional.ofNullable(r.value3()).map(stored -> apiKeys.reveal(r.value1(), stored)), r.value4(),
              r.value5(), r.value6(), r.value7(), r.value8(), r.value9(), Optional.ofNullable(r.value10()),
              new LinkedHashSet<>(Arrays.asList(r.value11() == null ? new String[0] : r.value11())), r.value12(),
              r.value13(), detect, r.value16(), r.value17(), Optional.ofNullable(r.value18()),
              Optional.ofNullable(r.value19()));
        });
  }
}
