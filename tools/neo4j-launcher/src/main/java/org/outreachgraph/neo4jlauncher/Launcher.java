package org.outreachgraph.neo4jlauncher;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import inet.ipaddr.IPAddressString;
import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Transaction;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.kernel.internal.Version;
import org.neo4j.server.security.SecureHasher;
import org.neo4j.server.security.SystemGraphCredential;

/**
 * Runs a Neo4j Community server (embedded API + Bolt connector) on 127.0.0.1 until the JVM is
 * told to stop (SIGTERM / SIGINT), then shuts the database down cleanly.
 *
 * <pre>
 * Launcher --home DIR [--port 7687] [--auth | --no-auth] [--pagecache 128m]
 * </pre>
 *
 * Environment: NEO4J_LAUNCHER_AUTH=true|false (default false; the flags win),
 * NEO4J_LAUNCHER_PASSWORD (required with auth on; becomes the password of user "neo4j").
 *
 * <p>Hardened like a shared server should be (see README.md, "Hardening"): no LOAD CSV from file
 * URLs, an empty import directory HOME/import, an empty procedure allow-list (no plugin procedures
 * or functions load) and LOAD CSV over http/https/ftp blocked for every address.
 */
public final class Launcher {

    private static final String HOST = "127.0.0.1";

    /** internal.dbms.cypher_ip_blocklist: every IPv4 and IPv6 address, i.e. no LOAD CSV over the network. */
    private static final List<IPAddressString> BLOCK_ALL_IPS =
            List.of(new IPAddressString("0.0.0.0/0"), new IPAddressString("::/0"));

    private Launcher() {
    }

    public static void main(String[] args) throws Exception {
        Path home = null;
        int port = 7687;
        Boolean authFlag = null;
        long pageCacheBytes = parseBytes("128m");

        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--home" -> home = Path.of(requireValue(args, ++i, a));
                case "--port" -> port = Integer.parseInt(requireValue(args, ++i, a));
                case "--auth" -> authFlag = Boolean.TRUE;
                case "--no-auth" -> authFlag = Boolean.FALSE;
                case "--pagecache" -> pageCacheBytes = parseBytes(requireValue(args, ++i, a));
                case "-h", "--help" -> {
                    System.out.println("usage: Launcher --home DIR [--port N] [--auth|--no-auth] [--pagecache SIZE]");
                    return;
                }
                default -> fail("unknown argument: " + a);
            }
        }
        if (home == null) {
            fail("--home DIR is required");
        }
        if (port < 1 || port > 65535) {
            fail("bad --port: " + port);
        }
        boolean auth = authFlag != null ? authFlag : envFlag("NEO4J_LAUNCHER_AUTH");
        String password = System.getenv("NEO4J_LAUNCHER_PASSWORD");
        if (auth && (password == null || password.isEmpty())) {
            fail("auth is on but NEO4J_LAUNCHER_PASSWORD is not set");
        }

        Files.createDirectories(home);
        home = home.toAbsolutePath();
        // Dedicated import directory (server.directories.import), meant to stay empty.
        Path importDir = Files.createDirectories(home.resolve("import"));
        try (Stream<Path> entries = Files.list(importDir)) {
            long n = entries.count();
            if (n > 0) {
                log("warning: " + importDir + " is not empty (" + n + " entries); nothing should be in it");
            }
        }
        log("starting Neo4j (home " + home + ", bolt " + HOST + ":" + port + ", auth "
                + (auth ? "on" : "off") + ", page cache " + pageCacheBytes / (1024 * 1024) + " MiB)");

        long t0 = System.nanoTime();
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                // Bolt on loopback only, plain text (no TLS locally).
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(HOST, port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(GraphDatabaseSettings.default_listen_address, new SocketAddress(HOST))
                // Auth: dbms.security.auth_enabled (false by default in embedded mode; set explicitly).
                .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                .setConfig(GraphDatabaseSettings.auth_minimum_password_length, 1)
                // Hardening, as on a shared server: a Cypher console must not read files, fetch URLs or
                // call plugin procedures, whatever guard the application has in front of it.
                // LOAD CSV FROM 'file:///...' refused (dbms.security.allow_csv_import_from_file_urls).
                .setConfig(GraphDatabaseSettings.allow_file_urls, false)
                // File URLs, if ever allowed, resolve inside HOME/import only (server.directories.import).
                .setConfig(GraphDatabaseSettings.load_csv_file_url_root, importDir)
                // No plugin procedures or functions are loaded (dbms.security.procedures.allowlist, empty).
                // Built-in db.* / dbms.* / tx.* procedures are not affected by this list in 5.26.
                .setConfig(GraphDatabaseSettings.procedure_allowlist, List.of())
                // LOAD CSV over http/https/ftp refused for every address (internal.dbms.cypher_ip_blocklist;
                // 5.26 has no public setting for this; the host name is still resolved before the check).
                .setConfig(GraphDatabaseInternalSettings.cypher_ip_blocklist, BLOCK_ALL_IPS)
                // No outbound network: anonymous usage data reporting off (dbms.usage_report.enabled).
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Keep memory modest (2-core / small dev machines).
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCacheBytes)
                .setConfig(GraphDatabaseSettings.pagecache_warmup_enabled, false)
                // Bolt waits 2 x 5 s for idle netty pools on shutdown (after the databases are already
                // checkpointed and closed); shorten that so `stop` returns quickly.
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log("shutdown requested, stopping Neo4j");
            try {
                dbms.shutdown();
                log("Neo4j stopped cleanly");
            } catch (Throwable t) {
                log("error during shutdown: " + t);
            } finally {
                stopped.countDown();
            }
        }, "neo4j-launcher-shutdown"));

        try {
            if (auth) {
                setPassword(dbms, password);
            }
            GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
            if (!db.isAvailable(Duration.ofSeconds(60).toMillis())) {
                throw new IllegalStateException("database 'neo4j' did not become available");
            }
            log("Neo4j " + Version.getNeo4jVersion() + " community ready in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
            log("hardening: " + hardeningSettings(db));
            log("READY bolt://" + HOST + ":" + port);
        } catch (Throwable t) {
            log("startup failed: " + t);
            t.printStackTrace();
            System.exit(1);
        }

        stopped.await(); // blocks until the shutdown hook has run (i.e. until killed)
    }

    /**
     * The hardening settings as the running DBMS has them (read back from its Config, not from what
     * was asked), one "name=value" each; an empty list shows as "". tools/neo4j-local prints this line.
     */
    private static String hardeningSettings(GraphDatabaseService db) {
        Config config = ((GraphDatabaseAPI) db).getDependencyResolver().resolveDependency(Config.class);
        return Stream.of(GraphDatabaseSettings.allow_file_urls, GraphDatabaseSettings.load_csv_file_url_root,
                        GraphDatabaseSettings.procedure_allowlist, GraphDatabaseInternalSettings.cypher_ip_blocklist)
                .map(setting -> setting.name() + "=" + show(config.get(setting)))
                .collect(Collectors.joining(" "));
    }

    private static String show(Object value) {
        if (value instanceof List<?> list) {
            String joined = list.stream().map(String::valueOf).collect(Collectors.joining(","));
            return joined.isEmpty() ? "\"\"" : joined;
        }
        return String.valueOf(value);
    }

    /** Sets the password of user neo4j via the system database (works in Community). */
    private static void setPassword(DatabaseManagementService dbms, String password) {
        long t0 = System.nanoTime();
        GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        if (passwordAlreadySet(system, password)) {
            log("password of user 'neo4j' already matches NEO4J_LAUNCHER_PASSWORD");
            return;
        }
        try {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        } catch (RuntimeException e) {
            // "Old password and new password cannot be the same." -- fine, just clear the change flag.
            String msg = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            if (!msg.contains("cannot be the same")) {
                throw e;
            }
            system.executeTransactionally("ALTER USER neo4j SET PASSWORD CHANGE NOT REQUIRED");
        }
        log("password of user 'neo4j' set from NEO4J_LAUNCHER_PASSWORD in "
                + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }

    /**
     * Fast path for restarts: reads the stored credential of user neo4j with the core API and checks
     * it against the password, which avoids a (cold, several-second) Cypher administration command.
     * Uses Neo4j-internal classes; any problem simply means "not known to be set".
     */
    private static boolean passwordAlreadySet(GraphDatabaseService system, String password) {
        try (Transaction tx = system.beginTx()) {
            Node user = tx.findNode(Label.label("User"), "name", "neo4j");
            if (user == null) {
                return false;
            }
            Object credentials = user.getProperty("credentials", null);
            Object changeRequired = user.getProperty("passwordChangeRequired", Boolean.TRUE);
            return credentials instanceof String c
                    && Boolean.FALSE.equals(changeRequired)
                    && SystemGraphCredential.deserialize(c, new SecureHasher())
                            .matchesPassword(password.getBytes(StandardCharsets.UTF_8));
        } catch (Throwable t) {
            return false;
        }
    }

    private static long parseBytes(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        long mul = 1;
        if (v.endsWith("k")) {
            mul = 1024L;
        } else if (v.endsWith("m")) {
            mul = 1024L * 1024;
        } else if (v.endsWith("g")) {
            mul = 1024L * 1024 * 1024;
        }
        if (mul != 1) {
            v = v.substring(0, v.length() - 1);
        }
        return Long.parseLong(v) * mul;
    }

    private static boolean envFlag(String name) {
        String v = System.getenv(name);
        return v != null && (v.equalsIgnoreCase("true") || v.equals("1") || v.equalsIgnoreCase("yes")
                || v.equalsIgnoreCase("on"));
    }

    private static String requireValue(String[] args, int i, String flag) {
        if (i >= args.length) {
            fail(flag + " needs a value");
        }
        return args[i];
    }

    private static void log(String msg) {
        System.out.println("[neo4j-launcher] " + java.time.Instant.now() + " " + msg);
        System.out.flush();
    }

    private static void fail(String msg) {
        System.err.println("[neo4j-launcher] error: " + msg);
        System.exit(2);
    }
}
