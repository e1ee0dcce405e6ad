package org.kekbit.benchmarks.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import javax.imageio.ImageIO;

/**
 * Draws the round-trip latency percentiles (p50, p99, p99.9) of every system from a JMH JSON result file into a
 * PNG: one panel per burst and payload, one bar per system and percentile, on a logarithmic time axis. Runs
 * headless with the JDK alone.
 * <pre>
 * java -cp kekbit-benchmarks/target/kekbit-benchmarks.jar org.kekbit.benchmarks.report.LatencyChart \
 *     kekbit-benchmarks/target/results.json docs/benchmarks-latency.png
 * </pre>
 */
public final class LatencyChart
{
    /**
     * Benchmark class whose sample-mode results are drawn.
     */
    public static final String BENCHMARK_CLASS = "RoundTripBenchmark";

    private static final double[] PERCENTILES = { 50.0, 99.0, 99.9 };
    private static final String[] PERCENTILE_NAMES = { "p50", "p99", "p99.9" };
    private static final String[] SYSTEMS = { "kekbit", "ringBuffer", "aeron", "chronicle" };
    private static final String[] SYSTEM_NAMES = { "Kekbit", "Agrona ring buffer", "Aeron IPC", "Chronicle Queue" };
    private static final Color[] COLORS = {
        new Color(0xD6, 0x27, 0x28),
        new Color(0x1F, 0x77, 0xB4),
        new Color(0x2C, 0xA0, 0x2C),
        new Color(0x94, 0x67, 0xBD),
    };
    private static final int WIDTH = 1400;
    private static final int PANEL_HEIGHT = 420;
    private static final int TOP = 70;
    private static final int LEGEND_HEIGHT = 60;
    private static final int MARGIN_LEFT = 80;
    private static final int MARGIN_RIGHT = 20;
    private static final int PANEL_TOP_PAD = 40;
    private static final int PANEL_BOTTOM_PAD = 40;

    private LatencyChart()
    {
    }

    /**
     * Make the chart.
     *
     * @param args the JSON result file and the PNG to write; defaults
     *             {@code kekbit-benchmarks/target/results.json} and {@code docs/benchmarks-latency.png}.
     * @throws IOException when a file cannot be read or written.
     */
    public static void main(final String[] args) throws IOException
    {
        System.setProperty("java.awt.headless", "true");
        final Path input = Paths.get(args.length > 0 ? args[0] : "kekbit-benchmarks/target/results.json");
        final Path output = Paths.get(args.length > 1 ? args[1] : "docs/benchmarks-latency.png");
        final int panels = write(BenchmarkResult.read(input), output, args.length > 2 ? args[2] : "");
        System.out.println("wrote " + output + " with " + panels + " panels");
    }

    /**
     * Draw the round-trip results into a PNG.
     *
     * @param results  of a run; only {@value #BENCHMARK_CLASS} sample-mode results are drawn.
     * @param output   PNG file to write.
     * @param subtitle to print under the title, may be empty.
     * @return the number of panels drawn.
     * @throws IOException when the file cannot be written.
     */
    public static int write(final List<BenchmarkResult> results, final Path output, final String subtitle)
        throws IOException
    {
        final Map<String, Map<String, BenchmarkResult>> panels = panels(results);
        final int columns = panels.size() > 1 ? 2 : 1;
        final int rows = Math.max(1, (panels.size() + columns - 1) / columns);
        final int height = TOP + rows * PANEL_HEIGHT + LEGEND_HEIGHT;
        final BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = image.createGraphics();
        try
        {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 22));
            g.drawString("Burst round trip latency (lower is better, log scale)", MARGIN_LEFT, 32);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            g.drawString(subtitle.isEmpty() ?
                "writer -> reader -> reply; JMH sample mode, time per burst" : subtitle, MARGIN_LEFT, 54);

            final int panelWidth = WIDTH / columns;
            int i = 0;
            for (final Map.Entry<String, Map<String, BenchmarkResult>> panel : panels.entrySet())
            {
                final int x = (i % columns) * panelWidth;
                final int y = TOP + (i / columns) * PANEL_HEIGHT;
                drawPanel(g, panel.getKey(), panel.getValue(), x, y, panelWidth);
                i++;
            }
            drawLegend(g, TOP + rows * PANEL_HEIGHT + 20);
        }
        finally
        {
            g.dispose();
        }

        final Path parent = output.toAbsolutePath().getParent();
        if (null != parent)
        {
            Files.createDirectories(parent);
        }
        ImageIO.write(image, "png", output.toFile());
        return panels.size();
    }

    private static Map<String, Map<String, BenchmarkResult>> panels(final List<BenchmarkResult> results)
    {
        final Map<String, Map<String, BenchmarkResult>> panels = new TreeMap<>((a, b) ->
        {
            final int[] ka = panelKey(a);
            final int[] kb = panelKey(b);
            return ka[0] != kb[0] ? Integer.compare(ka[0], kb[0]) : Integer.compare(ka[1], kb[1]);
        });
        for (final BenchmarkResult result : results)
        {
            if (BENCHMARK_CLASS.equals(result.className()) && "sample".equals(result.mode()))
            {
                final String title = "burst " + result.params().getOrDefault("burst", "?") + ", payload " +
                    result.params().getOrDefault("payloadLength", "?") + " B";
                panels.computeIfAbsent(title, k -> new LinkedHashMap<>()).put(result.method(), result);
            }
        }

        return panels;
    }

    private static int[] panelKey(final String title)
    {
        final String[] words = title.replace(",", "").split(" ");
        return new int[]{ parseOrZero(words[1]), parseOrZero(words[3]) };
    }

    private static int parseOrZero(final String text)
    {
        try
        {
            return Integer.parseInt(text);
        }
        catch (final NumberFormatException ex)
        {
            return 0;
        }
    }

    private static void drawPanel(
        final Graphics2D g,
        final String title,
        final Map<String, BenchmarkResult> bySystem,
        final int x,
        final int y,
        final int width)
    {
        final List<String> systems = new ArrayList<>();
        for (final String system : SYSTEMS)
        {
            if (bySystem.containsKey(system))
            {
                systems.add(system);
            }
        }
        for (final String system : bySystem.keySet())
        {
            if (!systems.contains(system))
            {
                systems.add(system);
            }
        }

        double min = Double.MAX_VALUE;
        double max = 0;
        for (final String system : systems)
        {
            final BenchmarkResult result = bySystem.get(system);
            for (final double percentile : PERCENTILES)
            {
                final double ns = nanos(result, percentile);
                if (ns > 0)
                {
                    min = Math.min(min, ns);
                    max = Math.max(max, ns);
                }
            }
        }
        if (max <= 0)
        {
            return;
        }

        final double logMin = Math.floor(Math.log10(min));
        final double logMax = Math.ceil(Math.log10(max) + 0.15);
        final int left = x + MARGIN_LEFT;
        final int right = x + width - MARGIN_RIGHT;
        final int top = y + PANEL_TOP_PAD;
        final int bottom = y + PANEL_HEIGHT - PANEL_BOTTOM_PAD;

        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, left, y + 24);

        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int exponent = (int)logMin; exponent <= (int)logMax; exponent++)
        {
            final int ty = yFor(Math.pow(10, exponent), logMin, logMax, top, bottom);
            g.setColor(new Color(0xDD, 0xDD, 0xDD));
            g.drawLine(left, ty, right, ty);
            g.setColor(Color.DARK_GRAY);
            final String label = time(Math.pow(10, exponent));
            g.drawString(label, left - 8 - g.getFontMetrics().stringWidth(label), ty + 4);
        }
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1.2f));
        g.drawLine(left, bottom, right, bottom);
        g.drawLine(left, top, left, bottom);

        final int groupWidth = (right - left) / PERCENTILES.length;
        final int barWidth = Math.max(8, (groupWidth - 30) / Math.max(1, systems.size()));
        final Font valueFont = new Font(Font.SANS_SERIF, Font.PLAIN, 10);
        for (int p = 0; p < PERCENTILES.length; p++)
        {
            final int groupLeft = left + p * groupWidth + 15;
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            final FontMetrics metrics = g.getFontMetrics();
            g.drawString(PERCENTILE_NAMES[p],
                groupLeft + (systems.size() * barWidth - metrics.stringWidth(PERCENTILE_NAMES[p])) / 2, bottom + 20);

            for (int s = 0; s < systems.size(); s++)
            {
                final double ns = nanos(bySystem.get(systems.get(s)), PERCENTILES[p]);
                if (!(ns > 0))
                {
                    continue;
                }
                final int barTop = yFor(ns, logMin, logMax, top, bottom);
                final int barLeft = groupLeft + s * barWidth;
                g.setColor(color(systems.get(s)));
                g.fillRect(barLeft + 1, barTop, barWidth - 2, bottom - barTop);
                g.setColor(Color.BLACK);
                g.setFont(valueFont);
                final String label = time(ns);
                final int labelWidth = g.getFontMetrics().stringWidth(label);
                g.drawString(label, barLeft + (barWidth - labelWidth) / 2, barTop - 3);
            }
        }
    }

    private static void drawLegend(final Graphics2D g, final int y)
    {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        int x = MARGIN_LEFT;
        for (int i = 0; i < SYSTEMS.length; i++)
        {
            g.setColor(COLORS[i]);
            g.fillRect(x, y, 18, 18);
            g.setColor(Color.BLACK);
            g.drawString(SYSTEM_NAMES[i], x + 26, y + 14);
            x += 60 + g.getFontMetrics().stringWidth(SYSTEM_NAMES[i]);
        }
    }

    private static Color color(final String system)
    {
        for (int i = 0; i < SYSTEMS.length; i++)
        {
            if (SYSTEMS[i].equals(system))
            {
                return COLORS[i];
            }
        }

        return Color.GRAY;
    }

    private static int yFor(
        final double value, final double logMin, final double logMax, final int top, final int bottom)
    {
        final double fraction = (Math.log10(value) - logMin) / (logMax - logMin);
        return (int)Math.round(bottom - fraction * (bottom - top));
    }

    /**
     * A percentile of a result in nanoseconds.
     *
     * @param result     in sample mode.
     * @param percentile such as 99.0.
     * @return nanoseconds, NaN when absent.
     */
    static double nanos(final BenchmarkResult result, final double percentile)
    {
        return result.percentile(percentile) * nanosPerUnit(result.unit());
    }

    /**
     * Nanoseconds in the time unit of a JMH score unit such as {@code ns/op} or {@code us/op}.
     *
     * @param unit of the score.
     * @return the factor to nanoseconds.
     */
    static double nanosPerUnit(final String unit)
    {
        if (unit.startsWith("ns"))
        {
            return 1;
        }
        if (unit.startsWith("us"))
        {
            return 1e3;
        }
        if (unit.startsWith("ms"))
        {
            return 1e6;
        }

        return 1e9;
    }

    /**
     * A time for a label: {@code 612 ns}, {@code 1.4 us}, {@code 29 us}, {@code 3.1 ms}.
     *
     * @param ns nanoseconds.
     * @return the label.
     */
    static String time(final double ns)
    {
        if (ns < 1e3)
        {
            return String.format(Locale.ROOT, "%.0f ns", ns);
        }
        if (ns < 1e6)
        {
            return String.format(Locale.ROOT, ns < 1e4 ? "%.1f us" : "%.0f us", ns / 1e3);
        }
        if (ns < 1e9)
        {
            return String.format(Locale.ROOT, ns < 1e7 ? "%.1f ms" : "%.0f ms", ns / 1e6);
        }

        return String.format(Locale.ROOT, "%.1f s", ns / 1e9);
    }
}
