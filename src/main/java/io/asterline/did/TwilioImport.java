package io.asterline.did;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.asterline.did.DidImporter.Row;
import io.asterline.did.DidImporter.Summary;
import io.asterline.did.DidImporter.Tally;
import io.asterline.did.TwilioClient.TwilioException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * {@code asterline dids import twilio}: every number of the Twilio account into one segment and trunk,
 * page by page, each with where its calls go now ({@link NumberPointing#facts}). Each page is written in one transaction once it has been fetched, so when a page cannot be
 * fetched the import stops with the earlier pages imported whole and nothing of the failed one.
 */
public final class TwilioImport {

  /** The outcome: what was written, and why it stopped early if it did. */
  public record Result(Summary summary, int pages, Optional<String> error) {}

  private final TwilioClient twilio;
  private final DidImporter importer;
  private final ObjectMapper json;
  private final Optional<URI> webhookBase;

  public TwilioImport(TwilioClient twilio, DidImporter importer, ObjectMapper json) {
    this(twilio, importer, json, Optional.empty());
  }

  /** {@code webhookBase}: twilio.webhook-base-url, which tells Asterline's voice URL from another. */
  public TwilioImport(TwilioClient twilio, DidImporter importer, ObjectMapper json, Optional<URI> webhookBase) {
    this.twilio = twilio;
    this.importer = importer;
    this.json = json;
    this.webhookBase = webhookBase;
  }

  Result run(long tenantId, String segment, String trunk, Progress progress) throws InterruptedException {
    Tally tally = new Tally();
    int pages = 0;
    try {
      TwilioClient.Page page = twilio.firstPage();
      while (true) {
        pages++;
        importer.importBatch(tenantId, segment, trunk, rows(page), tally, progress::message);
        Summary s = tally.summary();
        progress.show(s.total(), OptionalInt.empty(), "numbers, page " + pages + " (" + s + ")");
        if (page.nextPageUri().isEmpty()) {
          progress.endLine();
          return new Result(s, pages, Optional.empty());
        }
        page = twilio.nextPage(page);
      }
    } catch (TwilioException e) {
      progress.endLine();
      return new Result(tally.summary(), pages, Optional.of(e.getMessage()));
    }
  }

  private List<Row> rows(TwilioClient.Page page) {
    List<Row> rows = new ArrayList<>();
    for (TwilioClient.Number n : page.numbers()) {
      ObjectNode meta = json.createObjectNode()
          .put("provider", "Twilio")
          .put("external_sid", n.sid())
          .put("import_source", "twilio-api");
      // where its calls go now (points_to, trunk_sid, voice_url), as dids point records it
      NumberPointing.facts(meta, n, webhookBase);
      if (n.friendlyName() != null) {
        meta.put("friendly_name", n.friendlyName());
      }
      if (n.capabilities() != null) {
        meta.putObject("capabilities")
            .put("voice", n.capabilities().voice())
            .put("sms", n.capabilities().sms())
            .put("mms", n.capabilities().mms());
      }
      rows.add(new Row(n.sid() == null ? "page " + page.page() : n.sid(), n.phoneNumber(), meta, "active"));
    }
    return rows;
  }
}
