package io.asterline.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class DeploymentSecretsTest {

  @Test
  void theScannerFindsSecretsAndLetsPlaceholdersThrough() {
    String text = String.join("\n",
        "POSTGRES_PASSWORD=hunter2hunter2",
        "POSTGRES_PASSWORD=change-me",
        "AMI_SECRET=",
        "      DATABASE_PASSWORD: ${POSTGRES_PASSWORD:?set it}",
        "      AMI_SECRET: \"Zx81-real-one\"",
        "secret = ${AMI_SECRET}",
        "password = 7f3a9c2e1b   ; the DIDWW one",
        "username = didww-user",
        "OPENAI_KEY_FOR_TESTS=sk-proj-abcdefghijklmnopqrstuvwxyz012345",
        "DATABASE_URL=postgresql://asterline:realpass@postgres:5432/asterline",
        "DATABASE_URL=postgresql://asterline:${POSTGRES_PASSWORD}@postgres:5432/asterline",
        "TWILIO_ACCOUNT=AC0123456789abcdef0123456789abcdef",
        "; password = in-a-comment-is-fine",
        "Environment=ASTERLINE_ADMIN_TOKEN=abcdefabcdefabcdef",
        "S3_SECRET_KEY=<your secret key>");

    assertThat(SecretScanner.scan("f", text)).map(SecretScanner.Finding::toString).containsExactly(
        "f:1: 'POSTGRES_PASSWORD' is given a literal value; use a placeholder (change-me) or a variable reference",
        "f:5: 'AMI_SECRET' is given a literal value; use a placeholder (change-me) or a variable reference",
        "f:7: 'password' is given a literal value; use a placeholder (change-me) or a variable reference",
        "f:9: looks like an OpenAI API key",
        "f:10: a password inside a URL",
        "f:12: looks like a Twilio account or API key SID",
        "f:14: 'ASTERLINE_ADMIN_TOKEN' is given a literal value; use a placeholder (change-me) or a variable reference");
  }

  @Test
  void theDeploymentFilesCarryNoSecret() throws IOException {
    Path docker = Repo.docker();
    List<Path> files;
    try (Stream<Path> s = Files.walk(docker)) {
      files = s.filter(Files::isRegularFile)
          // the operator's own filled-in copy (git-ignored) and Asterisk's logs are not part of the repository
          .filter(p -> !docker.relativize(p).toString().equals(".env"))
          .filter(p -> !docker.relativize(p).startsWith("logs"))
          .sorted()
          .toList();
    }
    assertThat(files).extracting(p -> docker.relativize(p).toString()).contains(".env.example", "docker-compose.yml",
        "Dockerfile", "asterisk/manager.conf.template", "asterisk/pjsip_trunk_twilio.conf.template",
        "systemd/asterline.service");

    List<SecretScanner.Finding> findings = new ArrayList<>();
    for (Path file : files) {
      findings.addAll(SecretScanner.scan("docker/" + docker.relativize(file), Repo.read(file)));
    }
    assertThat(findings).map(SecretScanner.Finding::toString).isEmpty();
  }
}
