package io.asterline.tenant;

import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.db.generated.tables.records.TenantRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tenants as stored in PostgreSQL. */
public final class TenantRepository {

  private static final Logger log = LoggerFactory.getLogger(TenantRepository.class);

  private final DSLContext dsl;

  public TenantRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /**
   * Single-tenant mode, as the old deployment had it: when no tenant exists and a default id is configured
   * (or the database is the embedded default), create that tenant. Safe to run on several nodes at once.
   */
  public void ensureDefaultTenant(TenantConfig config, boolean embedded) {
    if (config.defaultTenantId().isEmpty() && !embedded) {
      return;
    }
    long id = config.defaultTenantId().orElse(1L);
    dsl.transaction(tx -> {
      DSLContext t = tx.dsl();
      // serialise concurrent starts so only one of them creates the tenant
      t.execute("LOCK TABLE tenant IN SHARE ROW EXCLUSIVE MODE");
      if (t.fetchExists(TENANT)) {
        return;
      }
      t.insertInto(TENANT).set(TENANT.ID, id).set(TENANT.NAME, config.defaultTenantName()).execute();
      // keep identity values handed out later above the explicit id
      t.execute("SELECT setval(pg_get_serial_sequence('tenant', 'id'), (SELECT max(id) FROM tenant))");
      log.info("created default tenant {} ({})", id, config.defaultTenantName());
    });
  }

  public long count() {
    return dsl.fetchCount(TENANT);
  }

  public boolean exists(long id) {
    return dsl.fetchExists(TENANT, TENANT.ID.eq(id));
  }

  /** For API authentication: the active tenant holding the token with this hash. */
  public OptionalLong activeTenantByTokenHash(String sha256Hex) {
    return dsl.select(TENANT.ID).from(TENANT)
        .where(TENANT.API_TOKEN_HASH.eq(sha256Hex)).and(TENANT.STATUS.eq("active"))
        .fetchOptional(TENANT.ID)
        .map(OptionalLong::of).orElse(OptionalLong.empty());
  }

  /** The disabled tenant whose token has this hash, so its caller hears why it is refused. */
  public OptionalLong disabledTenantByTokenHash(String sha256Hex) {
    return dsl.select(TENANT.ID).from(TENANT)
        .where(TENANT.API_TOKEN_HASH.eq(sha256Hex)).and(TENANT.STATUS.eq("disabled"))
        .fetchOptional(TENANT.ID)
        .map(OptionalLong::of).orElse(OptionalLong.empty());
  }

  /** Creates a tenant holding the token with this hash; unset settings take the database defaults. */
  public Tenant create(Tenant.Settings settings, String tokenHash) {
    return create(settings, tokenHash, null);
  }

  /**
   * Creates a tenant; {@code sealKey}, when given, turns the new tenant's id into the sealed form of its OpenAI key
   * (a sealed key is bound to its tenant's id), stored in the same transaction.
   */
  public Tenant create(Tenant.Settings settings, String tokenHash, java.util.function.LongFunction<String> sealKey) {
    Map<Field<?>, Object> values = changes(settings);
    values.put(TENANT.API_TOKEN_HASH, tokenHash);
    if (sealKey == null) {
      return dsl.insertInto(TENANT).set(values).returning().fetchOne(TenantRepository::toTenant);
    }
    return dsl.transactionResult(c -> {
      Tenant t = c.dsl().insertInto(TENANT).set(values).returning().fetchOne(TenantRepository::toTenant);
      c.dsl().update(TENANT).set(TENANT.OPENAI_API_KEY, sealKey.apply(t.id())).where(TENANT.ID.eq(t.id())).execute();
      return t;
    });
  }

  public List<Tenant> list() {
    return dsl.selectFrom(TENANT).orderBy(TENANT.ID).fetch(TenantRepository::toTenant);
  }

  public Optional<Tenant> find(long id) {
    return dsl.selectFrom(TENANT).where(TENANT.ID.eq(id)).fetchOptional(TenantRepository::toTenant);
  }

  /** Applies the set fields; empty when there is no such tenant. */
  public Optional<Tenant> update(long id, Tenant.Settings settings) {
    return update(id, settings, null, false);
  }

  /**
   * Changes the settings given and, in the same statement, the tenant's OpenAI key: {@code sealedKey} (already
   * sealed, never the key itself) replaces it, {@code clearKey} removes it.
   */
  public Optional<Tenant> update(long id, Tenant.Settings settings, String sealedKey, boolean clearKey) {
    Map<Field<?>, Object> values = changes(settings);
    if (sealedKey != null || clearKey) {
      values.put(TENANT.OPENAI_API_KEY, sealedKey);
    }
    values.put(TENANT.UPDATED_AT, DSL.field("now()", SQLDataType.TIMESTAMPWITHTIMEZONE));
    return dsl.update(TENANT).set(values).where(TENANT.ID.eq(id)).returning()
        .fetchOptional(TenantRepository::toTenant);
  }

  /** Replaces the tenant's token: the old one stops working at once. */
  public Optional<Tenant> replaceTokenHash(long id, String tokenHash) {
    return dsl.update(TENANT)
        .set(TENANT.API_TOKEN_HASH, tokenHash)
        .set(TENANT.UPDATED_AT, DSL.field("now()", SQLDataType.TIMESTAMPWITHTIMEZONE))
        .where(TENANT.ID.eq(id)).returning()
        .fetchOptional(TenantRepository::toTenant);
  }

  private static Map<Field<?>, Object> changes(Tenant.Settings s) {
    Map<Field<?>, Object> v = new LinkedHashMap<>();
    putIfSet(v, TENANT.NAME, s.name());
    putIfSet(v, TENANT.STATUS, s.status());
    putIfSet(v, TENANT.MAX_CONCURRENT_CALLS, s.maxConcurrentCalls());
    putIfSet(v, TENANT.AI_MODEL, s.aiModel());
    putIfSet(v, TENANT.AI_VOICE, s.aiVoice());
    putIfSet(v, TENANT.AI_INSTRUCTIONS, s.aiInstructions());
    putIfSet(v, TENANT.AI_GREETING, s.aiGreeting());
    putIfSet(v, TENANT.AI_LANGUAGE, s.aiLanguage());
    if (s.transferNumber() != null || s.clearTransferNumber()) {
      v.put(TENANT.TRANSFER_NUMBER, s.transferNumber());
    }
    putIfSet(v, TENANT.RECORDING_ENABLED, s.recordingEnabled());
    if (s.voicemailGreetingSound() != null || s.clearVoicemailGreetingSound()) {
      v.put(TENANT.VOICEMAIL_GREETING_SOUND, s.voicemailGreetingSound());
    }
    putIfSet(v, TENANT.INBOUND_ROUTE, s.inboundRoute());
    putIfSet(v, TENANT.AI_GOODBYE, s.aiGoodbye());
    putIfSet(v, TENANT.AI_FALLBACK, s.aiFallback());
    putIfSet(v, TENANT.SILENCE_TIMEOUT_MS, s.silenceTimeoutMs());
    putIfSet(v, TENANT.VOICEMAIL_DETECTION, s.voicemailDetection());
    putIfSet(v, TENANT.VOICEMAIL_WINDOW_MS, s.voicemailWindowMs());
    putIfSet(v, TENANT.VOICEMAIL_ACTION, s.voicemailAction());
    if (s.voicemailMessage() != null || s.clearVoicemailMessage()) {
      v.put(TENANT.VOICEMAIL_MESSAGE, s.voicemailMessage());
    }
    putIfSet(v, TENANT.TRANSCRIPTION_ENABLED, s.transcriptionEnabled());
    if (s.asteriskShare() != null || s.clearAsteriskShare()) {
      v.put(TENANT.ASTERISK_SHARE, s.asteriskShare() == null ? null : s.asteriskShare().shortValue());
    }
    putIfSet(v, TENANT.PROVIDER_FAILOVER, s.providerFailover());
    return v;
  }

  private static <T> void putIfSet(Map<Field<?>, Object> values, Field<T> field, T value) {
    if (value != null) {
      values.put(field, value);
    }
  }

  private static Tenant toTenant(TenantRecord r) {
    return new Tenant(r.getId(), r.getName(), r.getStatus(), r.getMaxConcurrentCalls(), r.getAiModel(),
        r.getAiVoice(), r.getAiInstructions(), r.getAiGreeting(), r.getAiLanguage(), r.getTransferNumber(),
        r.getRecordingEnabled(), r.getVoicemailGreetingSound(), r.getInboundRoute(), r.getAiGoodbye(),
        r.getAiFallback(), r.getSilenceTimeoutMs(), r.getVoicemailDetection(), r.getVoicemailWindowMs(),
        r.getVoicemailAction(), r.getVoicemailMessage(), r.getTranscriptionEnabled(),
        r.getAsteriskShare() == null ? null : r.getAsteriskShare().intValue(), r.getProviderFailover(),
        r.getOpenaiApiKey() != null,
        r.getCreatedAt(), r.getUpdatedAt());
  }
}
