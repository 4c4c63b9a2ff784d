// Docker.DotNet.Models has types of the same names as Nanokit's model (its swarm ServiceSpec, NetworkSpec) and System's
// Version: in this project the names mean Nanokit's and System's.
global using NetworkSpec = Nanokit.Core.Model.NetworkSpec;
global using ServiceSpec = Nanokit.Core.Model.ServiceSpec;
global using Version = System.Version;
