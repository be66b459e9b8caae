package io.asterline.did;

import io.asterline.call.PhoneNumbers;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Phone numbers as people and provider exports write them, turned into E.164 ({@code +14155550123}).
 *
 * <p>Rules, in order: separators ({@code space - . ( )}) are dropped; {@code +} or {@code 00} mark an
 * international number; a leading {@code 0} is a national trunk prefix, replaced by the default country
 * code; 11 digits or more without a prefix are taken as international (provider exports such as DIDWW's
 * omit the {@code +}); anything shorter is national and gets the default country code.
 */
public final class E164 {

  private static final Pattern NANP = Pattern.compile("\\+1[2-9][0-9]{9}");

  private E164() {}

  /**
   * The E.164 form of {@code raw}.
   *
   * @param defaultCountryCode digits only, e.g. {@code 1} or {@code 49}
   * @throws IllegalArgumentException naming the input when it is not a phone number
   */
  public static String normalize(String raw, String defaultCountryCode) {
    if (raw == null || raw.isBlank()) {
      throw new IllegalArgumentException("a phone number is required");
    }
    // one set of rules for every number Asterline reads: the same as the FastAGI inbound lookup's
    return PhoneNumbers.toE164(raw, defaultCountryCode).orElseThrow(() -> new IllegalArgumentException(
        "'" + raw + "' is not a phone number in E.164 form (+ country code and up to 15 digits, e.g. +14155550123)"));
  }

  /** Whether {@code number} already is in E.164 form. */
  public static boolean isValid(String number) {
    return PhoneNumbers.isE164(number);
  }

  /**
   * The area code local presence matches on: the NPA of a North American number; empty elsewhere, where
   * area codes have no fixed length. Must agree with the {@code did.area_code} column (migration V3).
   */
  public static Optional<String> areaCode(String e164) {
    if (e164 != null && NANP.matcher(e164).matches()) {
      return Optional.of(e164.substring(2, 5));
    }
    return Optional.empty();
  }
}
