// A model whose output comes from an op without a differentiation rule (a
// dlc.fusion): training it is an error naming that op.
module {
  func.func @forward(%w: tensor<3xf32> {dlc.param = "w", dlc.init = {scheme = "ones"}})
      -> (tensor<3xf32> {dlc.output = "y"}) {
    %0 = dlc.fusion elementwise "k0" (%a = %w : tensor<3xf32>) -> tensor<3xf32> {
      %1 = dlc.exp %a : tensor<3xf32>
      dlc.yield %1 : tensor<3xf32>
    }
    return %0 : tensor<3xf32>
  }
}
