package io.asterline.tenant;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.phone.PhoneNumbers;
import io.asterline.http.ApiException;
import io.asterline.http.Audit;
import io.asterline.http.Auth;
import io.asterline.http.JsonBody;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.jooq.exception.DataAccessException;

/**
 * The tenant admin API, for the admin token only. A tenant's token is returned once, when the tenant is
 * created or its token replaced; only its SHA-256 hash is stored.
 */
public final class TenantRoutes {

  private static final String BASE = "/api/tenants";
  private static final Set<String> FIELDS = Set.of("name", "status", "maxConcurrentCalls", "aiModel", "aiVoice",
      "aiInstructions", "aiGreeting", "aiLanguage", "transferNumber", "recordingEnabled", "voicemailGreetingSound",
      "openaiApiKey", "inboundRoute", "aiGoodbye", "aiFallback", "silenceTimeoutMs", "voicemailDetection",
      "voicemailWindowMs", "voicemailAction", "voicemailMessage", "transcriptionEnabled", "asteriskShare",
      "providerFailover");
  /** Fields the audit trail records only as "(set)" or null. */
  private static final Set<String> SECRETS = Set.of("openaiApiKey");
  /** Fields whose null means "remove it". */
  private static final Set<String> CLEARABLE = Set.of("transferNumber", "voicemailGreetingSound", "openaiApiKey",
      "voicemailMessage", "asteriskShare");
  /** What an OpenAI key looks like (sk-..., sk-proj-...): enough to refuse a pasted sentence, never echoed back. */
  private static final java.util.regex.Pattern API_KEY = java.util.regex.Pattern.compile("sk-[A-Za-z0-9_-]{16,300}");

  private final TenantRepository tenants;
  private final ObjectMapper json;
  private final String defaultCountryCode;
  private final TenantApiKeys apiKeys;

  private TenantRoutes(TenantRepository tenants, ObjectMapper json, String defaultCountryCode, TenantApiKeys apiKeys) {
    this.tenants = tenants;
    this.json = json;
    this.defaultCountryCode = defaultCountryCode;
    this.apiKeys = apiKeys;
  }

  /**
   * The routes, for {@code HttpServer.routes(...)}; transfer numbers are completed with the country code, a tenant's
   * OpenAI key ({@code openaiApiKey}, write-only) is stored sealed by {@code apiKeys} and never returned.
   */
  public static Consumer<Javalin> of(TenantRepository tenants, ObjectMapper json, String defaultCountryCode,
      TenantApiKeys apiKeys) {
    TenantRoutes r = new TenantRoutes(tenants, json, defaultCountryCode, apiKeys);
    return app -> {
      app.get(BASE, r::list);
      app.post(BASE, r::create);
      app.get(BASE + "/{id}", r::get);
      app.put(BASE + "/{id}", r::update);
      app.post(BASE + "/{id}/token", r::replaceToken);
    };
  }

  private void list(Context ctx) {
    Auth.principal(ctx).requireAdmin();
    ctx.json(Map.of("tenants", tenants.list()));
  }

  private void get(Context ctx) {
    Auth.principal(ctx).requireAdmin();
    ctx.json(tenants.find(id(ctx)).orElseThrow(() -> notFound(ctx)));
  }

  private void create(Context ctx) {
    Auth.principal(ctx).requireAdmin();
    JsonBody body = JsonBody.parse(ctx.body(), json, FIELDS);
    Tenant.Settings settings = settings(body, true);
    String key = apiKey(body);
    String token = Auth.newToken();
    Tenant tenant;
    try {
      tenant = tenants.create(settings, Auth.hash(token), key == null ? null : id -> apiKeys.seal(id, key));
    } catch (DataAccessException e) {
      throw translate(e, settings);
    }
    Audit.note(ctx, "create", "tenant", tenant.id(), body.fields(), SECRETS);
    ctx.status(HttpStatus.CREATED).json(withToken(tenant, token));
  }

  private void update(Context ctx) {
    Auth.principal(ctx).requireAdmin();
    long id = id(ctx);
    JsonBody body = JsonBody.parse(ctx.body(), json, FIELDS);
    Tenant.Settings settings = settings(body, false);
    String key = apiKey(body);
    try {
      // null removes the tenant's own key: it goes back to the service's openai.api-key
      ctx.json(tenants.update(id, settings, key == null ? null : apiKeys.seal(id, key), body.isNull("openaiApiKey"))
          .orElseThrow(() -> notFound(ctx)));
    } catch (DataAccessException e) {
      throw translate(e, settings);
    }
    Audit.note(ctx, "update", "tenant", id, body.fields(), SECRETS);
  }

  /** The tenant's own OpenAI key when the body sets one; checked without ever quoting it. */
  private static String apiKey(JsonBody body) {
    String key = body.string("openaiApiKey").orElse(null);
    if (key != null && !API_KEY.matcher(key).matches()) {
      throw ApiException.badRequest("openaiApiKey", "openaiApiKey must be an OpenAI API key (sk-... or sk-proj-..., "
          + "letters, digits, _ and -); null removes the tenant's key so it uses the service's openai.api-key");
    }
    return key;
  }

  private void replaceToken(Context ctx) {
    Auth.principal(ctx).requireAdmin();
    String token = Auth.newToken();
    Tenant tenant = tenants.replaceTokenHash(id(ctx), Auth.hash(token)).orElseThrow(() -> notFound(ctx));
    // that the token changed, never the token
    Audit.note(ctx, "replace_token", "tenant", tenant.id(), null);
    ctx.json(withToken(tenant, token));
  }

  private Tenant.Settings settings(JsonBody body, boolean creating) {
    for (String field : FIELDS) {
      if (body.isNull(field) && !CLEARABLE.contains(field)) {
        throw ApiException.badRequest(field, field + " cannot be null");
      }
    }
    String name = creating ? body.requiredString("name") : body.string("name").orElse(null);
    if (name != null && name.isBlank()) {
      throw ApiException.badRequest("name", "name cannot be blank");
    }
    String status = body.string("status").orElse(null);
    if (status != null && !Tenant.STATUSES.contains(status)) {
      throw ApiException.badRequest("status", "unknown status '" + status + "'; one of active, disabled");
    }
    String language = body.string("aiLanguage").orElse(null);
    if (language != null && !Tenant.LANGUAGE.matcher(language).matches()) {
      throw ApiException.badRequest("aiLanguage", "aiLanguage '" + language + "' must be a language code such as"
          + " en or en-US");
    }
    String transfer = body.string("transferNumber").map(t -> {
      try {
        return PhoneNumbers.require(t, defaultCountryCode);
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("transferNumber", "transferNumber: " + e.getMessage());
      }
    }).orElse(null);
    String greeting = body.string("voicemailGreetingSound").orElse(null);
    if (greeting != null && (greeting.length() > 200 || !Tenant.SOUND.matcher(greeting).matches())) {
      throw ApiException.badRequest("voicemailGreetingSound", "voicemailGreetingSound '" + greeting + "' must name an"
          + " Asterisk sound without its extension, such as custom/acme-voicemail or /var/lib/asterisk/sounds/acme:"
          + " letters, digits, _ and - between slashes, at most 200 characters; null restores vm-intro");
    }
    return new Tenant.Settings(
        name == null ? null : name.trim(),
        status,
        body.integer("maxConcurrentCalls", 0, 100_000).orElse(null),
        nonBlank(body, "aiModel"),
        nonBlank(body, "aiVoice"),
        nonBlank(body, "aiInstructions"),
        nonBlank(body, "aiGreeting"),
        language,
        transfer,
        body.isNull("transferNumber"),
        body.bool("recordingEnabled").orElse(null),
        greeting,
        body.isNull("voicemailGreetingSound"),
        oneOf(body, "inboundRoute", Tenant.INBOUND_ROUTES),
        nonBlank(body, "aiGoodbye"),
        oneOf(body, "aiFallback", Tenant.FALLBACKS),
        body.integer("silenceTimeoutMs", 1000, 3_600_000).orElse(null),
        oneOf(body, "voicemailDetection", Tenant.VOICEMAIL_DETECTIONS),
        body.integer("voicemailWindowMs", 1000, 120_000).orElse(null),
        oneOf(body, "voicemailAction", Tenant.VOICEMAIL_ACTIONS),
        nonBlank(body, "voicemailMessage"),
        body.isNull("voicemailMessage"),
        body.bool("transcriptionEnabled").orElse(null),
        asteriskShare(body),
        body.isNull("asteriskShare"),
        body.bool("providerFailover").orElse(null));
  }

  /** The share of outbound calls through Asterisk: a whole percentage, or null to follow telephony.provider. */
  private static Integer asteriskShare(JsonBody body) {
    try {
      return body.integer("asteriskShare", 0, 100).orElse(null);
    } catch (ApiException e) {
      throw ApiException.badRequest("asteriskShare", "asteriskShare must be a whole number from 0 to 100 (the % of"
          + " outbound calls placed through Asterisk, the rest through Twilio); null follows telephony.provider");
    }
  }

  private static String oneOf(JsonBody body, String field, Set<String> known) {
    String v = body.string(field).orElse(null);
    if (v != null && !known.contains(v)) {
      throw ApiException.badRequest(field, "unknown " + field + " '" + v + "'; one of "
          + String.join(", ", new java.util.TreeSet<>(known)));
    }
    return v;
  }

  private static String nonBlank(JsonBody body, String field) {
    String v = body.string(field).orElse(null);
    if (v != null && v.isBlank()) {
      throw ApiException.badRequest(field, field + " cannot be blank");
    }
    return v;
  }

  private static Map<String, Object> withToken(Tenant tenant, String token) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("tenant", tenant);
    // shown this once: only its hash is stored
    body.put("token", token);
    return body;
  }

  private static RuntimeException translate(DataAccessException e, Tenant.Settings settings) {
    if ("23505".equals(e.sqlState())) {
      return new ApiException(409, "name", "a tenant named '" + settings.name() + "' exists already");
    }
    // the settings that depend on each other, as the database checks them
    String text = String.valueOf(e.getMessage());
    if ("23514".equals(e.sqlState()) && text.contains("tenant_forward_needs_number")) {
      return ApiException.badRequest("inboundRoute", "inboundRoute forward needs a transferNumber to forward to");
    }
    if ("23514".equals(e.sqlState()) && text.contains("tenant_voicemail_message_needed")) {
      return ApiException.badRequest("voicemailAction", "voicemailAction leave_message needs a voicemailMessage");
    }
    return e;
  }

  private static long id(Context ctx) {
    try {
      return Long.parseLong(ctx.pathParam("id"));
    } catch (NumberFormatException e) {
      throw notFound(ctx);
    }
  }

  private static ApiException notFound(Context ctx) {
    return ApiException.notFound("no tenant " + ctx.pathParam("id"));
  }
}
