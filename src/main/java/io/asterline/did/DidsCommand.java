package io.asterline.did;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.config.ConfigException;
import io.asterline.config.ConfigOptions;
import io.asterline.config.Json;
import io.asterline.config.Settings;
import io.asterline.db.Database;
import io.asterline.db.DatabaseConfig;
import io.asterline.db.Migrations;
import io.asterline.did.DidImporter.Summary;
import io.asterline.tenant.TenantConfig;
import io.asterline.tenant.TenantRepository;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code asterline dids ...}: work on the numbers in the database from the command line. */
@Command(name = "dids", mixinStandardHelpOptions = true, description = "Import DIDs from Twilio or a CSV file; point Twilio numbers to Twilio or Asterisk.")
public final class DidsCommand implements Runnable {

  @Spec
  CommandSpec spec;

  /** The {@code dids} command tree, reading the given environment. */
  public static CommandLine commandLine(Map<String, String> env) {
    return new CommandLine(new DidsCommand())
        .addSubcommand(new CommandLine(new ImportCommand())
            .addSubcommand(new TwilioCommand(env))
            .addSubcommand(new CsvCommand(env)))
        .addSubcommand(new PointCommand(env));
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a command is required: import or point");
  }

  @Command(name = "import", mixinStandardHelpOptions = true,
      description = "Import numbers: existing ones move to the segment and trunk, new ones are created active.")
  static final class ImportCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "a source is required: twilio or csv");
    }
  }

  /** What both imports share: configuration, the database, the tenant. */
  abstract static class ImportBase implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @Option(names = "--tenant", paramLabel = "ID",
        description = "tenant the numbers belong to (default: tenant.default-id, else the only tenant)")
    Long tenant;

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;
    /** The settings of this run, once read. */
    Settings settings;

    ImportBase(Map<String, String> env) {
      this.env = env;
    }

    @Override
    public final Integer call() throws Exception {
      settings = config.settings(env);
      DidConfig dids = DidConfig.from(settings);
      TenantConfig tenants = TenantConfig.from(settings);
      checkArguments(dids);
      ObjectMapper json = Json.mapper();
      try (Database database = Database.attach(DatabaseConfig.from(settings))) {
        Migrations.apply(database.dataSource());
        long tenantId = tenantId(new TenantRepository(database.dsl()), tenants);
        DidRepository repository = new DidRepository(database.dsl(), json, dids.defaultDailyCap(),
            dids.defaultCooldown(), dids.dayTimeZone());
        Progress progress = new Progress(out(), System.console() != null);
        return run(dids, tenantId, new DidImporter(repository, dids.defaultCountryCode()), json, progress);
      }
    }

    /** Checks what can be checked before the database is opened. */
    abstract void checkArguments(DidConfig config);

    abstract int run(DidConfig config, long tenantId, DidImporter importer, ObjectMapper json, Progress progress)
        throws Exception;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    int finish(String what, Summary summary, Optional<String> error) {
      PrintWriter out = out();
      out.println(what + ": " + summary);
      out.flush();
      if (error.isPresent()) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("import stopped: " + error.get());
        err.flush();
        return 1;
      }
      // rows that failed were reported above; the exit code lets a script notice them too
      return summary.failed() > 0 ? 1 : 0;
    }

    String name(String what, String value) {
      if (!Did.NAME.matcher(value).matches()) {
        throw new ParameterException(spec.commandLine(), what + " '" + value + "' must be 1 to 64 letters,"
            + " digits, '.', '_' or '-', starting with a letter or digit");
      }
      return value;
    }

    private long tenantId(TenantRepository tenants, TenantConfig config) {
      if (tenant != null) {
        if (!tenants.exists(tenant)) {
          throw new ParameterException(spec.commandLine(), "--tenant " + tenant + ": no such tenant");
        }
        return tenant;
      }
      if (config.defaultTenantId().isPresent() && tenants.exists(config.defaultTenantId().getAsLong())) {
        return config.defaultTenantId().getAsLong();
      }
      var all = tenants.list();
      if (all.size() == 1) {
        return all.get(0).id();
      }
      throw new ParameterException(spec.commandLine(), all.isEmpty()
          ? "there is no tenant yet: create one (POST /api/tenants) or start the service once"
          : "there are " + all.size() + " tenants: name one with --tenant ID");
    }
  }

  @Command(name = "twilio", mixinStandardHelpOptions = true,
      description = "Import every number of the Twilio account (TWILIO_ACCOUNT_SID with TWILIO_AUTH_TOKEN, or an"
          + " API key pair).")
  static final class TwilioCommand extends ImportBase {

    // arity 0..1: optional, and the usage line shows them so ([<segment>])
    @Parameters(index = "0", arity = "0..1", paramLabel = "SEGMENT", defaultValue = "twilio-main",
        description = "segment (default: ${DEFAULT-VALUE})")
    String segment;

    @Parameters(index = "1", arity = "0..1", paramLabel = "TRUNK", defaultValue = "TWILIO",
        description = "trunk (default: ${DEFAULT-VALUE})")
    String trunk;

    TwilioCommand(Map<String, String> env) {
      super(env);
    }

    @Override
    void checkArguments(DidConfig config) {
      name("segment", segment);
      name("trunk", trunk);
      // fails on missing credentials before anything is opened
      new TwilioClient(config.twilio(), Json.mapper()).close();
    }

    @Override
    int run(DidConfig config, long tenantId, DidImporter importer, ObjectMapper json, Progress progress)
        throws InterruptedException {
      try (TwilioClient twilio = new TwilioClient(config.twilio(), json)) {
        out().println("importing the numbers of Twilio account " + twilio.accountSid() + " into segment " + segment
            + " (trunk " + trunk + ") of tenant " + tenantId);
        TwilioImport.Result result = new TwilioImport(twilio, importer, json, NumberPointing.webhookBase(settings))
            .run(tenantId, segment, trunk, progress);
        return finish("Twilio import, " + result.pages() + " page(s)", result.summary(), result.error());
      }
    }
  }

  @Command(name = "csv", mixinStandardHelpOptions = true,
      description = "Import numbers from a CSV file with a header row (a number column, optionally friendly_name,"
          + " provider, status).")
  static final class CsvCommand extends ImportBase {

    @Parameters(index = "0", paramLabel = "FILE", description = "the CSV file")
    Path file;

    @Option(names = "--segment", required = true, description = "segment the numbers go into")
    String segment;

    @Option(names = "--trunk", required = true, description = "trunk calls with these numbers dial out through")
    String trunk;

    @Option(names = "--provider", description = "provider recorded for rows without a provider column, e.g. DIDWW")
    String provider;

    CsvCommand(Map<String, String> env) {
      super(env);
    }

    @Override
    void checkArguments(DidConfig config) {
      name("--segment", segment);
      name("--trunk", trunk);
      // before a database is opened or started, and in words rather than an exception's name
      CsvImport.requireReadable(file);
    }

    @Override
    int run(DidConfig config, long tenantId, DidImporter importer, ObjectMapper json, Progress progress) {
      out().println("importing " + file + " into segment " + segment + " (trunk " + trunk + ") of tenant " + tenantId);
      CsvImport.Result result = new CsvImport(importer, json)
          .run(file, tenantId, segment, trunk, Optional.ofNullable(provider), progress);
      return finish("CSV import of " + file, result.summary(), result.error());
    }
  }

  @Command(name = "point", mixinStandardHelpOptions = true,
      description = "Point Twilio numbers' inbound calls to Twilio (Asterline's /twilio/voice webhook) or to Asterisk"
          + " (the Elastic SIP Trunk), through Twilio's REST API; each number must have been imported with"
          + " dids import twilio.")
  static final class PointCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config;

    @Parameters(arity = "1..*", paramLabel = "NUMBER", description = "the numbers, E.164 (+14155550101)")
    List<String> numbers;

    @Option(names = "--to", required = true, paramLabel = "twilio|asterisk",
        description = "twilio: Twilio requests the voice webhook (trunk detached); asterisk: the number is attached"
            + " to the Elastic SIP Trunk and its calls reach Asterisk over SIP")
    String to;

    @Option(names = "--trunk-sid", paramLabel = "TK...",
        description = "the Elastic SIP Trunk for --to asterisk (default: twilio.trunk-sid)")
    String trunkSid;

    @Spec
    CommandSpec spec;

    private final Map<String, String> env;

    PointCommand(Map<String, String> env) {
      this.env = env;
    }

    @Override
    public Integer call() throws Exception {
      NumberPointing.Target target = switch (to.trim().toLowerCase(Locale.ROOT)) {
        case "twilio" -> NumberPointing.Target.TWILIO;
        case "asterisk" -> NumberPointing.Target.ASTERISK;
        default -> throw new ParameterException(spec.commandLine(), "--to '" + to + "': twilio or asterisk");
      };
      Settings settings = config.settings(env);
      DidConfig dids = DidConfig.from(settings);
      Optional<URI> base = NumberPointing.webhookBase(settings);
      Map<String, String> form;
      if (target == NumberPointing.Target.TWILIO) {
        if (trunkSid != null) {
          throw new ParameterException(spec.commandLine(), "--trunk-sid goes with --to asterisk only");
        }
        form = NumberPointing.toTwilio(base.orElseThrow(() -> new ConfigException("twilio.webhook-base-url:"
            + " required to point numbers to Twilio, it is the address their voice webhook gets (set"
            + " TWILIO_WEBHOOK_BASE_URL, e.g. https://asterline.example.com)")));
      } else {
        String trunk = trunkSid != null ? trunkSid.trim() : dids.twilio().trunkSid().orElseThrow(() ->
            new ParameterException(spec.commandLine(), "--to asterisk needs the Elastic SIP Trunk: --trunk-sid TK..."
                + " or twilio.trunk-sid (TWILIO_TRUNK_SID)"));
        if (!DidConfig.TRUNK_SID.matcher(trunk).matches()) {
          throw new ParameterException(spec.commandLine(), "--trunk-sid '" + trunk + "' is not a Twilio trunk SID"
              + " (TK and 32 hexadecimal digits)");
        }
        form = NumberPointing.toAsterisk(trunk);
      }
      ObjectMapper json = Json.mapper();
      // fails on missing credentials before anything is opened
      try (TwilioClient twilio = new TwilioClient(dids.twilio(), json);
          Database database = Database.attach(DatabaseConfig.from(settings))) {
        Migrations.apply(database.dataSource());
        DidRepository repository = new DidRepository(database.dsl(), json, dids.defaultDailyCap(),
            dids.defaultCooldown(), dids.dayTimeZone());
        NumberPointing pointing = new NumberPointing(twilio, repository, json, dids.defaultCountryCode(), base);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int pointed = 0;
        int failed = 0;
        for (String number : numbers) {
          NumberPointing.Outcome outcome = pointing.point(number, target, form);
          if (outcome.pointed()) {
            pointed++;
            out.println(outcome.line());
          } else {
            failed++;
            err.println(outcome.line());
          }
          out.flush();
          err.flush();
        }
        out.println("pointed " + pointed + " to " + target.value() + ", failed " + failed);
        out.flush();
        return failed > 0 ? 1 : 0;
      }
    }
  }
}
