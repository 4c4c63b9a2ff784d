using System.Globalization;
using Docker.DotNet.Models;

namespace Nanokit.Providers.Docker;

/// <summary>
/// Folds a pull's progress lines into the one line people watch: "pulling 127.0.0.1:55000/app:1: 2/3 layers, 1.8/3.3 MB".
/// A layer is done once extracted ("Pull complete") or found present ("Already exists", which moves no bytes). The byte
/// total is that of the layers whose size the daemon has told so far: it learns a size as the layer's download starts, so
/// the total grows while layers wait.
/// </summary>
internal sealed class PullSummary(string image)
{
    private readonly Dictionary<string, Layer> _layers = new(StringComparer.Ordinal);
    private bool _finished;

    public string Summary
    {
        get
        {
            var text = (_finished ? "pulled " : "pulling ") + image;
            if (_layers.Count == 0)
            {
                return text;
            }

            text += $": {_layers.Values.Count(l => l.Done)}/{_layers.Count} layers";
            var size = _layers.Values.Sum(l => l.Size);
            return size == 0 ? text : text + ", " + Bytes(_layers.Values.Sum(l => l.Downloaded), size);
        }
    }

    public void Apply(JSONMessage line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.Status is not { } status)
        {
            return;
        }

        // The last line: "Status: Downloaded newer image for ..." or "Status: Image is up to date for ...".
        if (status.StartsWith("Status: ", StringComparison.Ordinal))
        {
            _finished = true;
            return;
        }

        if (line.ID is not { } id)
        {
            return;
        }

        var layer = _layers.GetValueOrDefault(id);
        var size = Math.Max(layer.Size, line.Progress?.Total ?? 0);
        Layer? next = status switch
        {
            "Pulling fs layer" or "Waiting" => layer,
            "Downloading" => new Layer(line.Progress?.Current ?? layer.Downloaded, size, Done: false),
            "Verifying Checksum" or "Download complete" or "Extracting" => new Layer(size, size, Done: false),
            "Pull complete" => new Layer(size, size, Done: true),
            "Already exists" => new Layer(0, 0, Done: true),
            // "Pulling from" (its id is the tag, not a layer), "Retrying in N seconds", and whatever a newer daemon adds.
            _ => null,
        };
        if (next is { } updated)
        {
            _layers[id] = updated;
        }
    }

    /// <summary>"1.8/3.3 MB": both in the total's unit, decimal as Docker's CLI prints sizes.</summary>
    private static string Bytes(long downloaded, long total)
    {
        var (unit, name) = total >= 1_000_000_000 ? (1e9, "GB") : total >= 1_000_000 ? (1e6, "MB") : (1e3, "kB");
        return string.Create(CultureInfo.InvariantCulture, $"{downloaded / unit:0.0}/{total / unit:0.0} {name}");
    }

    private readonly record struct Layer(long Downloaded, long Size, bool Done);
}
