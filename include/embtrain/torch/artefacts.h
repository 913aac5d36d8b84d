// artefacts.h — what a run writes when training ends: checkpoint.pt (when stopped by a signal,
// or asked for), model.pt and embeddings.pt (on a second thread while the report is built),
// report.html, state.json, and report.json last (its presence means the files are consistent).
#pragma once

#include <nlohmann/json.hpp>

#include "embtrain/torch/session.h"

namespace embtrain {

// Writes the run's files and returns report.json's content. Throws Error.
nlohmann::json write_artefacts(Session& session);

}  // namespace embtrain
