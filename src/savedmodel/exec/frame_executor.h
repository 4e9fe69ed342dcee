// TF1 control flow: the executor for plans holding Switch, Merge, Enter,
// Exit and NextIteration (tf.cond and tf.while_loop in TF1 graphs, and TF2
// graphs saved with control flow v1).
//
// Values carry a tag, (frame instance, iteration), as in TensorFlow's
// executor: Enter moves a value into a child frame (one instance per loop
// entered, per iteration of the enclosing frame), NextIteration into the next
// iteration of its frame, Exit back to the parent. Switch forwards its input
// to one output and marks the other dead; a node with a dead input does not
// run and its outputs are dead, except Merge, which forwards the first live
// input it gets (and is dead once its inputs from outside the loop are all
// dead), and ControlTrigger. Dead values stop at NextIteration; an Exit that
// never sent a live value sends a dead one once its frame has nothing left
// to run. The plan runs on the calling thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "savedmodel/base/status.h"
#include "savedmodel/graph/graph.h"
#include "savedmodel/kernels/kernel.h"

namespace savedmodel {

// One step as the session plans it: the node, where its data inputs are in
// the Run's value vector, and where its outputs go.
struct FlowStepSpec {
  const Node* node;
  std::vector<int> input_slots;
  int output_base;
};

class FlowPlan;

// Whether `op` is one of the TF1 control-flow ops this executor routes.
bool IsControlFlowOp(const std::string& op);

// Builds the routing tables for `steps` over a value vector of `num_slots`
// (slots no step produces hold feeds). `step_of_node` maps node ids to step
// indices (-1 outside the plan). Errors for malformed control flow (an Enter
// without a frame name).
StatusOr<std::shared_ptr<const FlowPlan>> BuildFlowPlan(const std::vector<FlowStepSpec>& steps,
                                                        int num_slots,
                                                        const std::vector<int>& step_of_node);

// Runs one step's kernel: `inputs` are live (Merge's dead inputs are empty
// Values); `outputs` is sized to the node's outputs.
using FlowKernelCall =
    std::function<Status(int step, std::vector<const Value*> inputs, std::vector<Value>* outputs)>;

// Runs the plan. `values` holds the feeds at their slots; the root frame's
// live outputs are written to their slots (dead ones stay empty).
Status ExecuteFlow(const FlowPlan& plan, std::vector<Value>* values, const FlowKernelCall& call);

}  // namespace savedmodel
