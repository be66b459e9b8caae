package io.asterline.http;

import java.util.OptionalLong;

/** Who is calling the API: the admin (all tenants) or one tenant (its own data only). */
public record Principal(boolean admin, OptionalLong tenantId) {

  public static Principal administrator() {
    return new Principal(true, OptionalLong.empty());
  }

  public static Principal tenant(long id) {
    return new Principal(false, OptionalLong.of(id));
  }

  /**
   * The tenant a request acts for: a tenant token is always held to its own tenant (asking for another
   * one is "not found", so ids of other tenants are not even confirmed); the admin must name one.
   */
  public long scope(Long requestedTenant, String field) {
    if (!admin) {
      long own = tenantId.getAsLong();
      if (requestedTenant != null && requestedTenant != own) {
        throw ApiException.notFound("no tenant " + requestedTenant);
      }
      return own;
    }
    if (requestedTenant == null) {
      throw ApiException.badRequest(field, field + " is required with the admin token");
    }
    return requestedTenant;
  }

  public void requireAdmin() {
    if (!admin) {
      throw new ApiException(403, null, "this needs the admin token");
    }
  }
}
