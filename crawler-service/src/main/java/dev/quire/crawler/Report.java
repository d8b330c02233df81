package dev.quire.crawler;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.loader.ClasspathLoader;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A crawl's outcome as people and tools read it: {@code report.json} (shape in the module README)
 * and {@code report.html} (the same, as a page, autoescaped).
 */
public record Report(
    String start,
    Instant startedAt,
    long millis,
    int pages,
    int checkedLinks,
    boolean pageLimitReached,
    boolean cancelled,
    Map<String, Long> counts,
    List<Finding> findings,
    List<Citation> citations,
    int omittedFindings,
    int omittedCitations,
    boolean timeLimitReached) {

  /** A cited source and how well it supports the paragraph that cites it. */
  public record Citation(
      String post, String paragraph, String source, String verdict, double score, String passage) {}

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(SerializationFeature.INDENT_OUTPUT);

  public static Report of(Crawler.Result crawl, List<Finding> findings, List<Citation> citations) {
    Map<Finding.Severity, Long> bySeverity = new EnumMap<>(Finding.Severity.class);
    for (Finding.Severity s : Finding.Severity.values()) {
      bySeverity.put(s, 0L);
    }
    findings.forEach(f -> bySeverity.merge(f.severity(), 1L, Long::sum));
    Map<String, Long> counts = new LinkedHashMap<>();
    bySeverity.forEach((k, v) -> counts.put(k.id(), v));
    return new Report(
        crawl.start(),
        crawl.startedAt(),
        crawl.millis(),
        crawl.pages().size(),
        crawl.checked().size(),
        crawl.pageLimitReached(),
        crawl.cancelled(),
        counts,
        List.copyOf(findings),
        List.copyOf(citations),
        0,
        0,
        crawl.timeLimitReached());
  }

  /**
   * This report with as many findings (most severe first) and citations as fit in {@code
   * maxJsonBytes} of JSON; {@code counts} still count them all and {@code omitted*} say how many
   * were left out. A crawl job keeps and sends its report bounded like this (cluster messages and
   * the job's journal have limits); {@code quire crawl} writes the whole one.
   */
  public Report limitTo(long maxJsonBytes) throws IOException {
    int keepFindings = findings.size();
    int keepCitations = citations.size();
    Report r = this;
    while (JSON.writeValueAsBytes(r).length > maxJsonBytes && keepFindings + keepCitations > 0) {
      if (keepFindings >= keepCitations) {
        keepFindings /= 2;
      } else {
        keepCitations /= 2;
      }
      r =
          new Report(
              start,
              startedAt,
              millis,
              pages,
              checkedLinks,
              pageLimitReached,
              cancelled,
              counts,
              List.copyOf(findings.subList(0, keepFindings)),
              List.copyOf(citations.subList(0, keepCitations)),
              omittedFindings + findings.size() - keepFindings,
              omittedCitations + citations.size() - keepCitations,
              timeLimitReached);
    }
    return r;
  }

  public long errors() {
    return counts.getOrDefault("error", 0L)
        + citations.stream().filter(c -> c.verdict().equals("not supported")).count();
  }

  public static ObjectMapper json() {
    return JSON;
  }

  /** Writes {@code report.json} and {@code report.html} into {@code dir}, each atomically. */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    atomically(dir.resolve("report.json"), JSON.writeValueAsString(this));
    atomically(dir.resolve("report.html"), html());
  }

  public String html() throws IOException {
    PebbleEngine engine =
        new PebbleEngine.Builder()
            .loader(new ClasspathLoader())
            .autoEscaping(true)
            .strictVariables(true)
            .build();
    PebbleTemplate t = engine.getTemplate("quire-crawler/report.peb");
    Writer w = new StringWriter();
    t.evaluate(w, Map.of("r", this));
    return w.toString();
  }

  private static void atomically(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
