package io.asterline.phone;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberFormat;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import io.asterline.config.ConfigKey;
import io.asterline.config.Settings;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Phone numbers as carriers and people write them, turned into E.164 ({@code +15551234567}), the only form
 * the database stores. Pure functions: the default country code is passed in by the caller.
 *
 * <p>Rules, in order, after removing spaces, dashes, dots and parentheses:
 * <ol>
 *   <li>{@code +15551234567} is already E.164;</li>
 *   <li>{@code 0015551234567} (and {@code 01115551234567} when the default country is NANP, code 1): the
 *       international dialling prefix, replaced by {@code +};</li>
 *   <li>{@code 02071234567}: a national number with its trunk prefix 0, which is dropped and the default
 *       country code put in front;</li>
 *   <li>{@code 15551234567}: starts with the default country code and has at least 7 more digits, so it is
 *       taken as international without the {@code +} (how DIDWW, Twilio and most trunks send DIDs);</li>
 *   <li>{@code 5551234567}: anything else is a national number; the default country code goes in front.</li>
 * </ol>
 * Rule 4 can misread a national number that happens to begin with the country code digits (rare: such
 * numbers are normally sent with their trunk prefix 0); send numbers with {@code +} to avoid any guess.
 *
 * <p>This is the one home of phone numbers: the FastAGI inbound lookup reads what Asterisk sends with
 * {@link #toE164} (lenient: a number it cannot match only misses its DID), while every number a user gives
 * (DIDs, imports, outbound calls, transfer numbers) goes through {@link #require}, which also checks with
 * libphonenumber that the number has a length its country uses. Lengths, not ranges: carriers hand out new
 * ranges before the library's metadata knows them, and a customer's live number must not be refused for that
 * (the fictional 555 numbers stay usable for tests and demos too).
 */
public final class PhoneNumbers {

  /** The country code used for numbers written without one; shared by every feature that reads numbers. */
  private static final String DEFAULT_COUNTRY_CODE_NAME = "phone.default-country-code";
  public static final ConfigKey DEFAULT_COUNTRY_CODE = ConfigKey.of(DEFAULT_COUNTRY_CODE_NAME, "1",
      "country calling code for numbers written without one, e.g. 1 (US/Canada), 44 (UK), 49 (Germany)");

  private static final Pattern E164 = Pattern.compile("\\+[1-9][0-9]{1,14}");
  private static final Pattern COUNTRY_CODE = Pattern.compile("[1-9][0-9]{0,2}");
  private static final Pattern SEPARATORS = Pattern.compile("[\\s.()\\-]");
  private static final int MIN_NATIONAL_DIGITS = 7;
  private static final Pattern NANP = Pattern.compile("\\+1[2-9][0-9]{9}");
  private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();

  private PhoneNumbers() {}

  /**
   * {@value #DEFAULT_COUNTRY_CODE_NAME} from the settings, checked here once for every feature that reads it.
   *
   * @throws io.asterline.config.ConfigException naming the key when it is no country calling code
   */
  public static String defaultCountryCode(Settings settings) {
    String code = settings.string(DEFAULT_COUNTRY_CODE);
    if (!isCountryCode(code)) {
      throw settings.invalid(DEFAULT_COUNTRY_CODE, "a country calling code: 1 to 3 digits, e.g. 1, 44, 49");
    }
    return code;
  }

  /** True for a valid country calling code: 1 to 3 digits, not starting with 0. */
  public static boolean isCountryCode(String code) {
    return code != null && COUNTRY_CODE.matcher(code).matches();
  }

  /** True when {@code number} is already in E.164, as the database's e164 domain requires. */
  public static boolean isE164(String number) {
    return number != null && E164.matcher(number).matches();
  }

  /**
   * The number in E.164, or empty when it is not a phone number (letters, too short or too long, blank).
   *
   * @throws IllegalArgumentException when {@code defaultCountryCode} is not a country calling code
   */
  public static Optional<String> toE164(String raw, String defaultCountryCode) {
    if (!isCountryCode(defaultCountryCode)) {
      throw new IllegalArgumentException("default country code must be 1 to 3 digits not starting with 0, got '"
          + defaultCountryCode + "'");
    }
    if (raw == null) {
      return Optional.empty();
    }
    String s = SEPARATORS.matcher(raw.trim()).replaceAll("");
    String candidate;
    if (s.startsWith("+")) {
      candidate = s;
    } else if (!s.chars().allMatch(c -> c >= '0' && c <= '9') || s.isEmpty()) {
      return Optional.empty();
    } else if (s.startsWith("00")) {
      candidate = "+" + s.substring(2);
    } else if (defaultCountryCode.equals("1") && s.startsWith("011")) {
      candidate = "+" + s.substring(3);
    } else if (s.startsWith("0")) {
      candidate = "+" + defaultCountryCode + s.substring(1);
    } else if (s.startsWith(defaultCountryCode) && s.length() - defaultCountryCode.length() >= MIN_NATIONAL_DIGITS) {
      candidate = "+" + s;
    } else if (s.length() >= 11) {
      // longer than national numbers: international without its +, as carriers (DIDWW) and their CSV exports
      // write them, e.g. 4915112345678
      candidate = "+" + s;
    } else {
      candidate = "+" + defaultCountryCode + s;
    }
    return isE164(candidate) ? Optional.of(candidate) : Optional.empty();
  }

  /**
   * A number a user gave, in E.164 and of a length its country uses.
   *
   * @param defaultCountryCode the country code for numbers written without one, or null when only E.164 (with
   *     {@code +}) is accepted
   * @throws IllegalArgumentException naming the input and what would be valid
   */
  public static String require(String raw, String defaultCountryCode) {
    if (raw == null || raw.isBlank()) {
      throw new IllegalArgumentException("a phone number is required, e.g. " + example(defaultCountryCode));
    }
    Optional<String> e164;
    if (defaultCountryCode == null) {
      String s = SEPARATORS.matcher(raw.trim()).replaceAll("");
      e164 = isE164(s) ? Optional.of(s) : Optional.empty();
    } else {
      e164 = toE164(raw, defaultCountryCode);
    }
    if (e164.isEmpty()) {
      throw new IllegalArgumentException("'" + raw + "' is not a phone number: "
          + (defaultCountryCode == null ? "an E.164 number is + and the country code, then the number"
              : "+ and the country code, then the number, or a national number of country code +" + defaultCountryCode)
          + ", e.g. " + example(defaultCountryCode));
    }
    String n = e164.get();
    PhoneNumber parsed;
    try {
      parsed = UTIL.parse(n, "ZZ");
    } catch (NumberParseException e) {
      throw new IllegalArgumentException("'" + raw + "' is not a phone number (" + e.getMessage() + "), e.g. "
          + example(defaultCountryCode));
    }
    String cc = Integer.toString(parsed.getCountryCode());
    String why = switch (UTIL.isPossibleNumberWithReason(parsed)) {
      case IS_POSSIBLE, IS_POSSIBLE_LOCAL_ONLY -> null;
      case INVALID_COUNTRY_CODE -> "+" + cc + " is no country calling code";
      case TOO_SHORT -> "too short for +" + cc;
      case TOO_LONG -> "too long for +" + cc;
      case INVALID_LENGTH -> "not a length +" + cc + " numbers have";
    };
    if (why != null) {
      throw new IllegalArgumentException("'" + raw + "'" + (n.equals(raw) ? "" : " (read as " + n + ")") + " is "
          + why + "; a valid number looks like " + example(cc));
    }
    return n;
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

  /** An example number of the country, from libphonenumber's metadata, for error messages. */
  static String example(String countryCode) {
    String region = countryCode == null ? "US" : UTIL.getRegionCodeForCountryCode(Integer.parseInt(countryCode));
    PhoneNumber example = UTIL.getExampleNumber(region);
    return example == null ? "+14155550123" : UTIL.format(example, PhoneNumberFormat.E164);
  }
}
