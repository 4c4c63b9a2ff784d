using System.Globalization;

namespace Nanokit.Providers.Local;

/// <summary>
/// The log pump and the line format it writes. Each line of a local process's output is stored as
/// <c>2026-12-02T05:15:00.123456Z text</c>: the UTC time the pump read it (RFC 3339, microseconds), one space, the line
/// as the process wrote it. It is what Docker's json-file driver keeps, without the JSON: the file stays readable
/// with <c>cat</c>, and <c>nkapp logs</c> strips the time unless <c>-t</c> asks for it.
///
/// The pump is perl because perl-base is Essential on Debian (present on every Debian machine, as dash and coreutils
/// are) and, unlike mawk, reads without a process per line. Its sub-second clock is Time::HiRes, which Debian ships in
/// libperl (pulled in by the <c>perl</c> package, not by perl-base alone): without it the pump still runs and writes
/// whole seconds (<c>2026-12-02T05:15:00Z</c>). Lines are stamped when the pump reads them, so lines read together
/// share a time; a line longer than 16 KiB is stored as several (Docker splits at 16 KiB too); a last line without a
/// newline gets one when the output ends.
/// </summary>
internal static class LogPump
{
    /// <summary>Passed to <c>perl -e</c> with stdin the FIFO and stdout the log (opened for appending).</summary>
    public const string Script = """
        $0 = "nanokit-log-pump";
        $SIG{$_} = "IGNORE" for qw(TERM INT HUP);
        my $hires = eval { require Time::HiRes; 1 };
        my ($second, $date, $rest) = (-1, "", "");
        sub stamp {
          my $t = $hires ? Time::HiRes::time() : time;
          my $s = int $t;
          if ($s != $second) {
            my @g = gmtime $s;
            $date = sprintf "%04d-%02d-%02dT%02d:%02d:%02d", $g[5] + 1900, $g[4] + 1, $g[3], $g[2], $g[1], $g[0];
            $second = $s;
          }
          return $hires ? sprintf("%s.%06dZ ", $date, ($t - $s) * 1e6) : "${date}Z ";
        }
        while (sysread(STDIN, my $chunk, 65536)) {
          my $at = stamp();
          my @lines = split /\n/, $rest . $chunk, -1;
          $rest = pop @lines;
          push @lines, substr($rest, 0, 16384, "") while length $rest >= 16384;
          syswrite STDOUT, join("", map { "$at$_\n" } @lines) if @lines;
        }
        syswrite STDOUT, stamp() . "$rest\n" if length $rest;
        """;

    private static readonly string[] Formats = ["yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", "yyyy-MM-dd'T'HH:mm:ss'Z'"];

    /// <summary>
    /// Splits a stored line into the time the pump gave it and the text; a line without one (written before the pump
    /// existed, or by the wrapper itself before the pump started) has no time and is all text.
    /// </summary>
    public static (DateTimeOffset? Time, string Stamp, string Text) Parse(string stored)
    {
        var space = stored.Length >= 21 && stored[4] == '-' && stored[10] == 'T' ? stored.IndexOf(' ', 20) : -1;
        if (space is 20 or 27
            && DateTimeOffset.TryParseExact(stored.AsSpan(0, space), Formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return (time, stored[..space], stored[(space + 1)..]);
        }

        return (null, "", stored);
    }
}
