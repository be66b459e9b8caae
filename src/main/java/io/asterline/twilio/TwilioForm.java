package io.asterline.twilio;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An {@code application/x-www-form-urlencoded} body as Twilio's REST API takes it and its webhooks send it: names
 * in the order added, a name may repeat (e.g. {@code StatusCallbackEvent}).
 */
public final class TwilioForm {

  private final Map<String, List<String>> params = new LinkedHashMap<>();

  public static TwilioForm create() {
    return new TwilioForm();
  }

  /** Adds one value; a null value is left out, as Twilio's libraries do. */
  public TwilioForm add(String name, Object value) {
    if (value != null) {
      params.computeIfAbsent(name, k -> new ArrayList<>()).add(value.toString());
    }
    return this;
  }

  public Optional<String> first(String name) {
    List<String> v = params.get(name);
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
  }

  /** Name -> values, in the order added: what {@link TwilioSignature} signs. */
  public Map<String, List<String>> asMap() {
    return params;
  }

  /** The body, UTF-8 percent-encoded. */
  public String encode() {
    StringBuilder b = new StringBuilder();
    params.forEach((name, values) -> values.forEach(v -> {
      if (b.length() > 0) {
        b.append('&');
      }
      b.append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
    }));
    return b.toString();
  }

  /** Reads a body; a pair without '=' has an empty value. Throws IllegalArgumentException on bad escapes. */
  public static TwilioForm parse(String body) {
    TwilioForm form = new TwilioForm();
    if (body == null || body.isEmpty()) {
      return form;
    }
    for (String pair : body.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      form.add(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
    }
    return form;
  }

  @Override
  public String toString() {
    return params.toString();
  }
}
