package io.asterline.phone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PhoneNumbersRequireTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "+14155550123      | 1  | +14155550123",
      "+1 415.555.0123   | 1  | +14155550123",
      "(415) 555-0123    | 1  | +14155550123",
      "4155550123        | 1  | +14155550123",
      "1-415-555-0123    | 1  | +14155550123",
      "14155550123       | 49 | +14155550123",
      "0044 20 7123 4567 | 1  | +442071234567",
      "442071234567      | 1  | +442071234567",
      "030 1234567       | 49 | +49301234567",
      "' +4930 1234567 ' | 1  | +49301234567",
  })
  void normalises(String raw, String countryCode, String expected) {
    assertThat(PhoneNumbers.require(raw, countryCode)).isEqualTo(expected);
    assertThat(PhoneNumbers.isE164(expected)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"12ab", "+0123456", "+1234567890123456", "++14155550123", "+", "415-CALL-NOW", "+1 415 555 0123 x12"})
  void rejectsWhatIsNoNumberNamingIt(String raw) {
    assertThatThrownBy(() -> PhoneNumbers.require(raw, "1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + raw + "'");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "12345         | 1  | too short for +1",
      "+1234567890   | 1  | too short for +1",
      "+112345       | 1  | too short for +1",
      "+3312         | 33 | too short for +33",
      "+1415555012345| 1  | too long for +1",
  })
  void refusesNumbersOfALengthTheirCountryDoesNotUse(String raw, String countryCode, String why) {
    assertThatThrownBy(() -> PhoneNumbers.require(raw, countryCode))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + raw + "'")
        .hasMessageContaining(why)
        .hasMessageContaining("a valid number looks like +");
  }

  @Test
  void withoutADefaultCountryOnlyE164IsAccepted() {
    assertThat(PhoneNumbers.require("+1 (415) 555-0123", null)).isEqualTo("+14155550123");
    assertThatThrownBy(() -> PhoneNumbers.require("4155550123", null)).hasMessageContaining("'4155550123'")
        .hasMessageContaining("E.164");
  }

  @Test
  void aMissingNumberIsNamedAsMissing() {
    assertThatThrownBy(() -> PhoneNumbers.require("  ", "1")).hasMessageStartingWith("a phone number is required");
    assertThatThrownBy(() -> PhoneNumbers.require(null, "1")).hasMessageStartingWith("a phone number is required");
  }

  @Test
  void areaCodeIsTheNorthAmericanNpaOnly() {
    assertThat(PhoneNumbers.areaCode("+14155550123")).contains("415");
    assertThat(PhoneNumbers.areaCode("+12125550123")).contains("212");
    assertThat(PhoneNumbers.areaCode("+11235550123")).as("no NPA starts with 1").isEmpty();
    assertThat(PhoneNumbers.areaCode("+442071234567")).isEmpty();
    assertThat(PhoneNumbers.areaCode(null)).isEmpty();
  }
}
