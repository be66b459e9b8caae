package io.asterline.twilio;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Twilio's request signature ({@code X-Twilio-Signature}): Base64 of HMAC-SHA1, keyed with the account's auth token,
 * over the full URL Twilio requested (scheme, host, port if any, path and query) followed by every POST parameter
 * of a form body, sorted by name, each as its name then its value (a name sent twice: its values sorted). A
 * WebSocket handshake or a GET is signed over the URL alone. Twilio's own validators accept the URL without its port
 * and with the scheme's default port added, because proxies add or drop it: so does {@link #valid}.
 */
public final class TwilioSignature {

  public static final String HEADER = "X-Twilio-Signature";

  private TwilioSignature() {}

  /** The signature Twilio sends for {@code url} with form {@code params} (name -> values in the order sent). */
  public static String sign(String authToken, String url, Map<String, List<String>> params) {
    StringBuilder data = new StringBuilder(url);
    for (Map.Entry<String, List<String>> p : new TreeMap<>(params).entrySet()) {
      List<String> values = new ArrayList<>(p.getValue());
      values.sort(null);
      for (String v : values) {
        data.append(p.getKey()).append(v);
      }
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(authToken.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
      return Base64.getEncoder().encodeToString(mac.doFinal(data.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA1 is part of every Java runtime", e);
    }
  }

  /** A single-valued form, as most webhooks are. */
  public static String signSingle(String authToken, String url, Map<String, String> params) {
    Map<String, List<String>> multi = new TreeMap<>();
    params.forEach((k, v) -> multi.put(k, List.of(v)));
    return sign(authToken, url, multi);
  }

  /** True when {@code signature} is Twilio's for this request; false for a missing or blank one. */
  public static boolean valid(String authToken, String url, Map<String, List<String>> params, String signature) {
    if (signature == null || signature.isBlank()) {
      return false;
    }
    byte[] given = signature.trim().getBytes(StandardCharsets.US_ASCII);
    for (String candidate : portVariants(url)) {
      byte[] expected = sign(authToken, candidate, params).getBytes(StandardCharsets.US_ASCII);
      if (MessageDigest.isEqual(expected, given)) {
        return true;
      }
    }
    return false;
  }

  /** The URL as given, without its port, or with the scheme's default port when it has none. */
  static List<String> portVariants(String url) {
    List<String> variants = new ArrayList<>(List.of(url));
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      return variants;
    }
    if (uri.getScheme() == null || uri.getRawAuthority() == null || uri.getHost() == null) {
      return variants;
    }
    int defaultPort = switch (uri.getScheme().toLowerCase()) {
      case "https", "wss" -> 443;
      case "http", "ws" -> 80;
      default -> -1;
    };
    if (defaultPort < 0) {
      return variants;
    }
    String prefix = uri.getScheme() + "://";
    String rest = url.substring(prefix.length() + uri.getRawAuthority().length());
    String userInfo = uri.getRawUserInfo() == null ? "" : uri.getRawUserInfo() + "@";
    if (uri.getPort() != -1) {
      variants.add(prefix + userInfo + uri.getHost() + rest);
    } else if (uri.getPort() == -1) {
      variants.add(prefix + userInfo + uri.getHost() + ":" + defaultPort + rest);
    }
    return variants;
  }
}
