package io.asterline.phone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PhoneNumbersTest {

  @Test
  void northAmericanNumbersInEveryUsualShape() {
    for (String written : new String[] {"+15551234567", "15551234567", "5551234567", "(555) 123-4567",
        "+1 555 123 4567", "1-555-123-4567", "555.123.4567", "0015551234567", "01115551234567"}) {
      assertThat(PhoneNumbers.toE164(written, "1")).as(written).hasValue("+15551234567");
    }
  }

  @Test
  void otherCountriesUseTheirTrunkPrefixAndCode() {
    assertThat(PhoneNumbers.toE164("02071234567", "44")).hasValue("+442071234567");
    assertThat(PhoneNumbers.toE164("442071234567", "44")).hasValue("+442071234567");
    assertThat(PhoneNumbers.toE164("0049301234567", "44")).hasValue("+49301234567");
    assertThat(PhoneNumbers.toE164("030 1234567", "49")).hasValue("+49301234567");
    // 011 is only the international prefix in North America
    assertThat(PhoneNumbers.toE164("01171234567", "44")).hasValue("+441171234567");
  }

  @Test
  void whatIsNotAPhoneNumberIsRefused() {
    for (String bad : new String[] {null, "", "  ", "s", "unknown", "+", "+0123456", "555-CALL-NOW", "+1234567890123456",
        "12#34"}) {
      assertThat(PhoneNumbers.toE164(bad, "1")).as(String.valueOf(bad)).isEmpty();
    }
  }

  @Test
  void theDefaultCountryCodeMustBeOne() {
    assertThat(PhoneNumbers.isCountryCode("1")).isTrue();
    assertThat(PhoneNumbers.isCountryCode("353")).isTrue();
    assertThat(PhoneNumbers.isCountryCode("0")).isFalse();
    assertThat(PhoneNumbers.isCountryCode("1234")).isFalse();
    assertThatThrownBy(() -> PhoneNumbers.toE164("5551234567", "+1"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'+1'");
  }

  @Test
  void e164IsWhatTheDatabaseAccepts() {
    assertThat(PhoneNumbers.isE164("+15551234567")).isTrue();
    assertThat(PhoneNumbers.isE164("15551234567")).isFalse();
    assertThat(PhoneNumbers.isE164("+05551234567")).isFalse();
  }
}
