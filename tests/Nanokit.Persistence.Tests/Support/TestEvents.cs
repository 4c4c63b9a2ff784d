using System.Text.Json;
using Nanokit.Persistence.Serialization;

namespace Nanokit.Persistence.Tests.Support;

public sealed record ItemAdded(string Name, int Quantity);

public sealed record ItemRemoved(string Name);

/// <summary>The current shape of an event whose first version had a single "Amount" field.</summary>
public sealed record PriceSet(decimal Amount, string Currency);

/// <summary>The first version of <see cref="PriceSet"/>, written by "old code".</summary>
public sealed record PriceSetV1(decimal Amount);

public sealed record CartState(int Items);

public static class TestRegistry
{
    public static EventRegistry Current { get; } = EventRegistry.Empty
        .Register<ItemAdded>("item-added")
        .Register<ItemRemoved>("item-removed")
        .Register<PriceSet>("price-set.v2")
        .Register<CartState>("cart-state")
        .Upcast("price-set.v1", json => new PriceSet(json.GetProperty("amount").GetDecimal(), "EUR"));

    /// <summary>What the previous release registered: PriceSet was still v1.</summary>
    public static EventRegistry Old { get; } = EventRegistry.Empty
        .Register<ItemAdded>("item-added")
        .Register<PriceSetV1>("price-set.v1");

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
