//! The MCP server the Blaxel stand-in runs for a function, built on rmcp's server side:
//! the tools of Blaxel's hub server for its integration (`gmail`: `send_email`;
//! `google-drive`: `list_files`, `read_file`, `create_file`, `update_file`), listed as the
//! real ones are. A call to a tool does nothing and says so.

use std::future::Future;
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{MaybeSendFuture, RequestContext};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};

/// Version the stand-in's servers give in `serverInfo`.
pub const SANDBOX_MCP_VERSION: &str = "sandbox";

/// The tools of an integration's hub server, or `None` for an integration without one.
pub fn tools_of(integration: &str) -> Option<Vec<Tool>> {
    let tool = |name: &'static str, what: &'static str, props: Value, required: &[&str]| {
        Tool::new(name, what, Arc::new(schema(props, required)))
    };
    match integration {
        "gmail" => Some(vec![tool(
            "send_email",
            "Send a plain-text email from the authorised account",
            json!({"to": {"type": "string"}, "subject": {"type": "string"}, "body": {"type": "string"}}),
            &["to", "subject", "body"],
        )]),
        "google-drive" => Some(vec![
            tool(
                "list_files",
                "List the files the app may see",
                json!({"query": {"type": "string"}}),
                &[],
            ),
            tool(
                "read_file",
                "Read a file's content",
                json!({"fileId": {"type": "string"}}),
                &["fileId"],
            ),
            tool(
                "create_file",
                "Create a file",
                json!({"name": {"type": "string"}, "content": {"type": "string"}, "mimeType": {"type": "string"}}),
                &["name", "content"],
            ),
            tool(
                "update_file",
                "Replace a file's content",
                json!({"fileId": {"type": "string"}, "content": {"type": "string"}}),
                &["fileId", "content"],
            ),
        ]),
        _ => None,
    }
}

fn schema(properties: Value, required: &[&str]) -> JsonObject {
    let mut object = JsonObject::new();
    object.insert("type".into(), json!("object"));
    object.insert("properties".into(), properties);
    object.insert("required".into(), json!(required));
    object
}

/// One integration's server, made afresh for each MCP session.
#[derive(Debug, Clone)]
pub struct SandboxMcpServer {
    integration: &'static str,
    tools: Vec<Tool>,
}

impl SandboxMcpServer {
    pub fn new(integration: &'static str) -> Option<Self> {
        Some(SandboxMcpServer {
            integration,
            tools: tools_of(integration)?,
        })
    }
}

impl ServerHandler for SandboxMcpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(self.integration, SANDBOX_MCP_VERSION))
    }

    fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<ListToolsResult, ErrorData>> + MaybeSendFuture + '_ {
        std::future::ready(Ok(ListToolsResult::with_all_items(self.tools.clone())))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> impl Future<Output = Result<CallToolResponse, ErrorData>> + MaybeSendFuture + '_ {
        let known = self.tools.iter().any(|t| t.name == request.name);
        std::future::ready(if known {
            Ok(CallToolResult::success(vec![ContentBlock::text(format!(
                "sandbox: {} accepted; nothing was done",
                request.name
            ))])
            .into())
        } else {
            Err(ErrorData::invalid_params(
                format!("unknown tool {}", request.name),
                None,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_google_integration_lists_its_hub_servers_tools() {
        let names = |i: &str| -> Vec<String> {
            tools_of(i)
                .unwrap()
                .iter()
                .map(|t| t.name.to_string())
                .collect()
        };
        assert_eq!(names("gmail"), ["send_email"]);
        assert_eq!(
            names("google-drive"),
            ["list_files", "read_file", "create_file", "update_file"]
        );
        assert!(tools_of("google-maps").is_none());
        let send = &tools_of("gmail").unwrap()[0];
        assert_eq!(
            send.input_schema.get("required"),
            Some(&json!(["to", "subject", "body"]))
        );
    }
}
