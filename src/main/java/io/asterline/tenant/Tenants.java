package io.asterline.tenant;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.feature.Feature;
import io.asterline.secrets.SecretBox;
import io.javalin.Javalin;
import java.util.function.Consumer;
import org.jooq.DSLContext;

/**
 * The tenant feature started: the default tenant made (on a fresh database), tenants' OpenAI keys sealed, and the
 * tenant admin API. Others use its repository (API tokens, settings) and its keys (the agent's session).
 */
public final class Tenants implements Feature {

  private final TenantRepository repository;
  private final TenantApiKeys apiKeys;
  private final Consumer<Javalin> routes;

  private Tenants(TenantRepository repository, TenantApiKeys apiKeys, Consumer<Javalin> routes) {
    this.repository = repository;
    this.apiKeys = apiKeys;
    this.routes = routes;
  }

  /**
   * {@code embeddedDatabase}: the default tenant's rules differ on the embedded PostgreSQL (see
   * {@link TenantRepository#ensureDefaultTenant}); transfer numbers are completed with {@code defaultCountryCode}.
   */
  public static Tenants start(TenantConfig config, SecretBox secrets, String defaultCountryCode, DSLContext dsl,
      boolean embeddedDatabase, ObjectMapper json) {
    TenantRepository tenants = new TenantRepository(dsl);
    tenants.ensureDefaultTenant(config, embeddedDatabase);
    TenantApiKeys apiKeys = new TenantApiKeys(dsl, secrets);
    apiKeys.encryptPlainText();
    return new Tenants(tenants, apiKeys, TenantRoutes.of(tenants, json, defaultCountryCode, apiKeys)
        .andThen(ConsentRoutes.of(dsl, json)));
  }

  public TenantRepository repository() {
    return repository;
  }

  public TenantApiKeys apiKeys() {
    return apiKeys;
  }

  @Override
  public String name() {
    return "tenant";
  }

  @Override
  public Consumer<Javalin> routes() {
    return routes;
  }
}
