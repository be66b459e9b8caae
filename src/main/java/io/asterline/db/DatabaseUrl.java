package io.asterline.db;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * A PostgreSQL location with its credentials kept apart from the JDBC URL, so the URL can be logged and
 * the password cannot. Accepts what deployments have in their env files: {@code postgresql://} and
 * {@code postgres://} URLs with user and password, and {@code jdbc:postgresql://} URLs.
 */
public record DatabaseUrl(String jdbcUrl, String user, String password) {

  public static DatabaseUrl parse(String raw) {
    if (raw.startsWith("jdbc:postgresql:")) {
      // user/password may still be given as query parameters; the driver reads them itself
      return new DatabaseUrl(raw, null, null);
    }
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URL");
    }
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equals("postgresql") || scheme.equals("postgres"))) {
      throw new IllegalArgumentException("unsupported scheme " + (scheme == null ? "(none)" : scheme));
    }
    if (uri.getHost() == null || uri.getHost().isBlank()) {
      throw new IllegalArgumentException("no host");
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (path.length() <= 1) {
      throw new IllegalArgumentException("no database name");
    }
    String user = null;
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String info = uri.getRawUserInfo();
      int colon = info.indexOf(':');
      user = decode(colon < 0 ? info : info.substring(0, colon));
      password = colon < 0 ? null : decode(info.substring(colon + 1));
    }
    StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(uri.getHost());
    if (uri.getPort() > 0) {
      jdbc.append(':').append(uri.getPort());
    }
    jdbc.append(path);
    if (uri.getRawQuery() != null) {
      jdbc.append('?').append(uri.getRawQuery());
    }
    return new DatabaseUrl(jdbc.toString(), user, password);
  }

  /** Explicit user and password settings win over those in the URL. */
  public DatabaseUrl withCredentials(String explicitUser, String explicitPassword) {
    return new DatabaseUrl(jdbcUrl, explicitUser != null ? explicitUser : user,
        explicitPassword != null ? explicitPassword : password);
  }

  /** Safe to log: the JDBC URL without any password parameter, and the user. */
  public String describe() {
    return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1****") + (user == null ? "" : " as " + user);
  }

  @Override
  public String toString() {
    return describe();
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
