package io.asterline.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DatabaseUrlTest {

  @Test
  void postgresqlUrlWithUserAndPassword() {
    DatabaseUrl url = DatabaseUrl.parse("postgresql://asterline:p%40ss%3Aword@db.example.com:5433/calls?sslmode=require");
    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example.com:5433/calls?sslmode=require");
    assertThat(url.user()).isEqualTo("asterline");
    assertThat(url.password()).isEqualTo("p@ss:word");
    assertThat(url.describe()).doesNotContain("p@ss").contains("asterline");
  }

  @Test
  void postgresSchemeAndDefaultPort() {
    DatabaseUrl url = DatabaseUrl.parse("postgres://u@localhost/app");
    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost/app");
    assertThat(url.user()).isEqualTo("u");
    assertThat(url.password()).isNull();
  }

  @Test
  void jdbcUrlPassesThroughAndItsPasswordIsMaskedInDescriptions() {
    DatabaseUrl url = DatabaseUrl.parse("jdbc:postgresql://h:5432/db?user=a&password=secret");
    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5432/db?user=a&password=secret");
    assertThat(url.describe()).doesNotContain("secret");
  }

  @Test
  void explicitCredentialsWin() {
    DatabaseUrl url = DatabaseUrl.parse("postgresql://a:b@h/db").withCredentials("c", null);
    assertThat(url.user()).isEqualTo("c");
    assertThat(url.password()).isEqualTo("b");
  }

  @Test
  void rejectsWhatIsNotAPostgresUrl() {
    assertThatThrownBy(() -> DatabaseUrl.parse("mysql://h/db")).hasMessageContaining("mysql");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://h")).hasMessageContaining("no database name");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgresql:///db")).hasMessageContaining("no host");
    assertThatThrownBy(() -> DatabaseUrl.parse("::not a url")).isInstanceOf(IllegalArgumentException.class);
  }
}
