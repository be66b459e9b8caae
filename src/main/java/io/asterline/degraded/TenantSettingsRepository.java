package io.asterline.degraded;

import static io.asterline.db.generated.Tables.TENANT;

import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;

/**
 * Reads every active tenant's agent settings for the last-known-good copy ({@link LocalCalls}). The tenant's OpenAI
 * key stays in its stored, encrypted form here; the AudioSocket leg reveals it for the call that needs it.
 */
public final class TenantSettingsRepository {

  private final DSLContext dsl;

  public TenantSettingsRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** The same columns the AudioSocket leg reads for a call ({@code CallSettingsRepository.connect}). */
  public List<TenantSettings> activeTenants() {
    return dsl.select(TENANT.ID, TENANT.OPENAI_API_KEY, TENANT.AI_MODEL, TENANT.AI_VOICE, TENANT.AI_INSTRUCTIONS,
            TENANT.AI_GREETING, TENANT.AI_GOODBYE, TENANT.AI_LANGUAGE, TENANT.TRANSFER_NUMBER, TENANT.AI_FALLBACK,
            TENANT.SILENCE_TIMEOUT_MS, TENANT.VOICEMAIL_DETECTION, TENANT.VOICEMAIL_WINDOW_MS, TENANT.VOICEMAIL_ACTION,
            TENANT.VOICEMAIL_MESSAGE, TENANT.VOICEMAIL_GREETING_SOUND, TENANT.CONSENT_SOUND, TENANT.CONSENT_ORDER)
        .from(TENANT)
        .where(TENANT.STATUS.eq("active"))
        .fetch(r -> new TenantSettings(r.value1(), Optional.ofNullable(r.value2()), r.value3(), r.value4(), r.value5(),
            r.value6(), r.value7(), r.value8(), Optional.ofNullable(r.value9()), r.value10(), r.value11(), r.value12(),
            r.value13(), r.value14(), Optional.ofNullable(r.value15()), Optional.ofNullable(r.value16()),
            Optional.ofNullable(r.value17()), r.value18()));
  }
}
