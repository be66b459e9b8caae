package io.asterline.agent;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.call.CallRepository;
import io.asterline.tenant.TenantApiKeys;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Records;
import org.jooq.impl.DSL;

/** Reads a call's agent settings when its AudioSocket leg connects, marking the call connected. */
public final class CallSettingsRepository {

  private final DSLContext dsl;
  private final TenantApiKeys apiKeys;

  public CallSettingsRepository(DSLContext dsl, TenantApiKeys apiKeys) {
    this.dsl = dsl;
    this.apiKeys = apiKeys;
  }

  /** A tenant's key from its stored form (sealed, or plain text from before encryption), for the Realtime session. */
  public String revealApiKey(long tenantId, String stored) {
    return apiKeys.reveal(tenantId, stored);
  }

  /**
   * Marks the call connected to the agent (and answered, if nothing said so before) and returns its settings,
   * in one statement; empty when no such call exists, it has already ended (the caller is gone, nothing to
   * talk to), or it already had its agent leg, here or on another node. The tenant's OpenAI key comes back
   * decrypted; one that does not decrypt fails the read (never falls back to the service's key).
   * The call row's part of it (which states may connect, what is set) is {@link CallRepository}'s.
   */
  public Optional<CallSettings> connect(UUID callId) {
    return dsl.update(CALL)
        .set(CallRepository.agentConnected(DSL.currentOffsetDateTime()))
        .from(TENANT)
        .where(CALL.ID.eq(callId))
        .and(CALL.TENANT_ID.eq(TENANT.ID))
        .and(CallRepository.agentMayConnect())
        .returningResult(CALL.TENANT_ID, CALL.DIRECTION, TENANT.OPENAI_API_KEY, TENANT.AI_MODEL, TENANT.AI_VOICE,
            TENANT.AI_INSTRUCTIONS, TENANT.AI_GREETING, TENANT.AI_GOODBYE, TENANT.AI_LANGUAGE,
            TENANT.TRANSFER_NUMBER, CALL.ALLOWED_TRANSFER_NUMBERS, TENANT.AI_FALLBACK, TENANT.SILENCE_TIMEOUT_MS,
            TENANT.VOICEMAIL_DETECTION, CALL.VOICEMAIL_DETECTION, TENANT.VOICEMAIL_WINDOW_MS,
            DSL.coalesce(CALL.VOICEMAIL_ACTION, TENANT.VOICEMAIL_ACTION),
            DSL.coalesce(CALL.VOICEMAIL_MESSAGE, TENANT.VOICEMAIL_MESSAGE), CALL.AMD_STATUS)
        .fetchOptional(Records.mapping(Connected::new))
        .map(c -> c.settings(callId, apiKeys));
  }

  /** The row the connect returns, as stored. */
  private record Connected(long tenantId, String direction, String storedApiKey, String model, String voice,
      String instructions, String greeting, String goodbye, String language, String transferNumber,
      String[] allowedTransferNumbers, String fallback, int silenceTimeoutMs, String tenantDetection,
      Boolean callDetection, int voicemailWindowMs, String voicemailAction, String voicemailMessage,
      String amdStatus) {

    CallSettings settings(UUID callId, TenantApiKeys apiKeys) {
      boolean detect = callDetection != null ? callDetection
          : "all".equals(tenantDetection) || ("outbound".equals(tenantDetection) && "outbound".equals(direction));
      return new CallSettings(callId, tenantId, direction,
          Optional.ofNullable(storedApiKey).map(stored -> apiKeys.reveal(tenantId, stored)), model, voice,
          instructions, greeting, goodbye, language, Optional.ofNullable(transferNumber),
          new LinkedHashSet<>(Arrays.asList(allowedTransferNumbers == null ? new String[0] : allowedTransferNumbers)),
          fallback, silenceTimeoutMs, detect, voicemailWindowMs, voicemailAction, Optional.ofNullable(voicemailMessage),
          Optional.ofNullable(amdStatus));
    }
  }
}
