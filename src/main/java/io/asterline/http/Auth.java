package io.asterline.http;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Bearer-token authentication for {@code /api}. The admin token comes from configuration ({@code admin.token});
 * without it, from the database, where {@code serve} generates one on its first start. Tenant tokens and the
 * generated admin token are stored as SHA-256 hashes, so the database never holds a usable token.
 */
public final class Auth {

  /** Finds the active tenant whose token has this hash. */
  @FunctionalInterface
  public interface TokenLookup {
    OptionalLong activeTenantByTokenHash(String sha256Hex);
  }

  /** Whether a hash is the generated admin token's (consulted only when no admin token is configured). */
  @FunctionalInterface
  public interface AdminLookup {
    boolean isAdminTokenHash(String sha256Hex);

    AdminLookup NONE = hash -> false;
  }

  private static final String ATTRIBUTE = "asterline.principal";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] adminTokenHash;
  private final AdminLookup generatedAdmin;
  private final TokenLookup tenants;
  private final TokenLookup disabledTenants;

  public Auth(Optional<String> adminToken, TokenLookup tenants) {
    this(adminToken, AdminLookup.NONE, tenants, hash -> OptionalLong.empty());
  }

  /**
   * A configured admin token is the only admin token; without one, {@code generatedAdmin} decides (looked up on
   * every request, so a rotation on any node takes effect everywhere at once). With {@code disabledTenants}, a
   * disabled tenant's token hears that its tenant is disabled, not "invalid token".
   */
  public Auth(Optional<String> adminToken, AdminLookup generatedAdmin, TokenLookup tenants,
      TokenLookup disabledTenants) {
    this.adminTokenHash = adminToken.map(t -> hash(t).getBytes(StandardCharsets.US_ASCII)).orElse(null);
    this.generatedAdmin = generatedAdmin;
    this.tenants = tenants;
    this.disabledTenants = disabledTenants;
  }

  /** Checks the request's token and remembers who it is; 401 when missing or wrong. */
  public Principal authenticate(Context ctx) {
    String header = ctx.header("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
      throw ApiException.unauthorized("missing bearer token (Authorization: Bearer <token>)");
    }
    String hash = hash(header.substring(7).trim());
    Principal principal;
    if (isAdminHash(hash)) {
      principal = Principal.administrator();
    } else {
      OptionalLong tenant = tenants.activeTenantByTokenHash(hash);
      if (tenant.isEmpty()) {
        OptionalLong disabled = disabledTenants.activeTenantByTokenHash(hash);
        if (disabled.isPresent()) {
          // the token is right: telling its holder why it is refused saves them rotating a good token
          throw new ApiException(403, null, "tenant " + disabled.getAsLong() + " is disabled; the admin can"
              + " enable it again (PUT /api/tenants/" + disabled.getAsLong() + " {\"status\": \"active\"})");
        }
        throw ApiException.unauthorized("invalid token");
      }
      principal = Principal.tenant(tenant.getAsLong());
    }
    ctx.attribute(ATTRIBUTE, principal);
    return principal;
  }

  /**
   * True when the request carries the admin token; never fails, for pages that show more to the admin but answer
   * everyone (/health).
   */
  public boolean isAdmin(Context ctx) {
    String header = ctx.header("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.substring(7).isBlank()) {
      return false;
    }
    try {
      return isAdminHash(hash(header.substring(7).trim()));
    } catch (RuntimeException e) {
      return false; // the database is down: /health says so, without the details
    }
  }

  private boolean isAdminHash(String hash) {
    if (adminTokenHash != null) {
      return MessageDigest.isEqual(adminTokenHash, hash.getBytes(StandardCharsets.US_ASCII));
    }
    return generatedAdmin.isAdminTokenHash(hash);
  }

  /** The principal {@link #authenticate} stored for this request. */
  public static Principal principal(Context ctx) {
    Principal p = ctx.attribute(ATTRIBUTE);
    if (p == null) {
      throw ApiException.unauthorized("missing bearer token (Authorization: Bearer <token>)");
    }
    return p;
  }

  /** The principal of this request, or null before (or without) authentication: for the access log. */
  static Principal principalOrNull(Context ctx) {
    return ctx.attribute(ATTRIBUTE);
  }

  /** A new random token, shown once to whoever creates it. */
  public static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return "atl_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  public static String hash(String token) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
