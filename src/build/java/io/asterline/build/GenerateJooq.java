package io.asterline.build;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.jooq.codegen.GenerationTool;
import org.jooq.meta.jaxb.Configuration;
import org.jooq.meta.jaxb.Database;
import org.jooq.meta.jaxb.Generate;
import org.jooq.meta.jaxb.Generator;
import org.jooq.meta.jaxb.Target;

/**
 * Generates the jOOQ classes from the real schema: the Flyway migrations are applied to a throw-away
 * embedded PostgreSQL and jOOQ reads its catalog, so generated types are PostgreSQL's own (jsonb, uuid,
 * timestamptz), which DDLDatabase's H2 replay cannot promise.
 *
 * <p>Runs in generate-sources. It is skipped when the migrations have not changed since the last run, so
 * an incremental build does not start a database.
 */
public final class GenerateJooq {

  private static final String PACKAGE = "io.asterline.db.generated";
  private static final String STAMP = ".migrations.sha256";

  private GenerateJooq() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      throw new IllegalArgumentException("usage: GenerateJooq <migrations dir> <output dir> <work dir>");
    }
    Path migrations = Path.of(args[0]).toAbsolutePath();
    Path output = Path.of(args[1]).toAbsolutePath();
    Path work = Path.of(args[2]).toAbsolutePath();

    String hash = hashOf(migrations);
    Path stamp = output.resolve(STAMP);
    if (Files.exists(stamp) && Files.readString(stamp).trim().equals(hash)) {
      System.out.println("[jooq] migrations unchanged, generated sources are up to date");
      return;
    }
    deleteRecursively(output);
    deleteRecursively(work);
    Files.createDirectories(work);

    try (EmbeddedPostgres pg = EmbeddedPostgres.builder()
        .setOverrideWorkingDirectory(work.toFile())
        .setDataDirectory(work.resolve("data"))
        .setCleanDataDirectory(true)
        .start()) {
      Flyway.configure()
          .dataSource(pg.getPostgresDatabase())
          .locations("filesystem:" + migrations)
          .load()
          .migrate();
      try (Connection connection = pg.getPostgresDatabase().getConnection()) {
        GenerationTool tool = new GenerationTool();
        tool.setConnection(connection);
        tool.run(new Configuration()
            .withGenerator(new Generator()
                .withDatabase(new Database()
                    .withName("org.jooq.meta.postgres.PostgresDatabase")
                    .withInputSchema("public")
                    .withOutputSchemaToDefault(true)
                    .withExcludes("flyway_schema_history"))
                .withGenerate(new Generate()
                    .withJavaTimeTypes(true)
                    .withRecords(true)
                    .withPojos(false)
                    .withDaos(false)
                    .withFluentSetters(true))
                .withTarget(new Target()
                    .withPackageName(PACKAGE)
                    .withDirectory(output.toString()))));
      }
    }
    Files.writeString(stamp, hash + "\n");
    System.out.println("[jooq] generated " + PACKAGE + " from " + migrations);
  }

  private static String hashOf(Path migrations) throws IOException, NoSuchAlgorithmException {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    digest.update(GenerateJooq.class.getName().getBytes(StandardCharsets.UTF_8));
    List<Path> files;
    try (Stream<Path> s = Files.list(migrations)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".sql")).sorted().toList();
    }
    for (Path f : files) {
      digest.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
      digest.update(Files.readAllBytes(f));
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(p);
      }
    }
  }
}
