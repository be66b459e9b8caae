package io.asterline.did;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class E164Test {

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
    assertThat(E164.normalize(raw, countryCode)).isEqualTo(expected);
    assertThat(E164.isValid(expected)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"12ab", "+0123456", "+1234567890123456", "++14155550123", "+", "415-CALL-NOW", "+1 415 555 0123 x12"})
  void rejectsWhatIsNoNumberNamingIt(String raw) {
    assertThatThrownBy(() -> E164.normalize(raw, "1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + raw + "'");
  }

  @Test
  void aMissingNumberIsNamedAsMissing() {
    assertThatThrownBy(() -> E164.normalize("  ", "1")).hasMessage("a phone number is required");
    assertThatThrownBy(() -> E164.normalize(null, "1")).hasMessage("a phone number is required");
  }

  @Test
  void areaCodeIsTheNorthAmericanNpaOnly() {
    assertThat(E164.areaCode("+14155550123")).contains("415");
    assertThat(E164.areaCode("+12125550123")).contains("212");
    assertThat(E164.areaCode("+11235550123")).as("no NPA starts with 1").isEmpty();
    assertThat(E164.areaCode("+442071234567")).isEmpty();
    assertThat(E164.areaCode(null)).isEmpty();
  }
}
