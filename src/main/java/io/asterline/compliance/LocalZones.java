package io.asterline.compliance;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import io.asterline.phone.PhoneNumbers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The time zone(s) a callee's number puts them in, from the built-in table {@code zones.txt} (next to this class):
 * for +1 the area code, otherwise the country code. Several zones when the code spans several; for an area code
 * the table does not know, every mainland US/Canada zone plus Alaska and Hawaii (the call must then be inside its
 * window in all of them); for a country code it does not know, none (the local time is unknown).
 */
public final class LocalZones {

  private final Map<String, List<ZoneId>> nanp;
  private final List<ZoneId> nanpUnknown;
  private final Map<Integer, List<ZoneId>> countries;

  private LocalZones(Map<String, List<ZoneId>> nanp, List<ZoneId> nanpUnknown, Map<Integer, List<ZoneId>> countries) {
    this.nanp = nanp;
    this.nanpUnknown = nanpUnknown;
    this.countries = countries;
  }

  /** The built-in table; a line it cannot read is a build error, found by the first test that loads it. */
  public static LocalZones builtIn() {
    try (InputStream in = LocalZones.class.getResourceAsStream("zones.txt")) {
      if (in == null) {
        throw new IllegalStateException("io/asterline/compliance/zones.txt is missing from the class path");
      }
      return read(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static LocalZones read(BufferedReader reader) throws IOException {
    Map<String, Set<ZoneId>> nanp = new HashMap<>();
    Map<Integer, Set<ZoneId>> countries = new HashMap<>();
    List<ZoneId> unknown = new ArrayList<>();
    String line;
    int n = 0;
    while ((line = reader.readLine()) != null) {
      n++;
      line = line.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      try {
        switch (parts[0]) {
          case "nanp" -> {
            ZoneId zone = ZoneId.of(parts[1]);
            for (int i = 2; i < parts.length; i++) {
              if (!parts[i].matches("[2-9][0-9]{2}")) {
                throw new IllegalArgumentException("not an area code: " + parts[i]);
              }
              nanp.computeIfAbsent(parts[i], k -> new LinkedHashSet<>()).add(zone);
            }
          }
          case "nanp-unknown" -> {
            for (int i = 1; i < parts.length; i++) {
              unknown.add(ZoneId.of(parts[i]));
            }
          }
          case "cc" -> {
            ZoneId zone = ZoneId.of(parts[1]);
            for (int i = 2; i < parts.length; i++) {
              countries.computeIfAbsent(Integer.parseInt(parts[i]), k -> new LinkedHashSet<>()).add(zone);
            }
          }
          default -> throw new IllegalArgumentException("unknown kind " + parts[0]);
        }
      } catch (RuntimeException e) {
        throw new IllegalStateException("zones.txt line " + n + ": " + e.getMessage(), e);
      }
    }
    if (unknown.isEmpty()) {
      throw new IllegalStateException("zones.txt has no nanp-unknown line");
    }
    Map<String, List<ZoneId>> nanpLists = new HashMap<>();
    nanp.forEach((k, v) -> nanpLists.put(k, List.copyOf(v)));
    Map<Integer, List<ZoneId>> ccLists = new HashMap<>();
    countries.forEach((k, v) -> ccLists.put(k, List.copyOf(v)));
    return new LocalZones(Map.copyOf(nanpLists), List.copyOf(unknown), Map.copyOf(ccLists));
  }

  /** The zones of an E.164 number; empty when its country code is not in the table. */
  public List<ZoneId> zones(String e164) {
    if (!PhoneNumbers.isE164(e164)) {
      throw new IllegalArgumentException("not an E.164 number: " + e164);
    }
    if (e164.startsWith("+1")) {
      Optional<String> npa = e164.length() == 12 ? Optional.of(e164.substring(2, 5)) : Optional.empty();
      return npa.map(nanp::get).orElse(nanpUnknown);
    }
    return countries.getOrDefault(countryCode(e164), List.of());
  }

  /** True when the area code is in the table (an unknown one is checked against {@link #zones}' wide set). */
  public boolean knowsAreaCode(String npa) {
    return nanp.containsKey(npa);
  }

  static int countryCode(String e164) {
    try {
      return PhoneNumberUtil.getInstance().parse(e164, "ZZ").getCountryCode();
    } catch (NumberParseException e) {
      return -1;
    }
  }
}
