# onshi-sim: the simulator of the central system and of the linkage app (docs/simulator.md).
onshi-sim_EXTRA_OBJ += $(PKI_OBJ)
# The seed registry is embedded with .incbin: rebuild when it changes.
$(B)/app/tools/onshi-sim/seed_blob.o: test/data/registry.sql
INSTALL_TOOLS += onshi-sim
