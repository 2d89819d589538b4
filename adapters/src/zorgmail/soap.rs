//! The SOAP 1.1 envelopes of the ZorgMail mail web service: building requests and reading
//! responses namespace-aware, so any prefix (or a default namespace) works.

use std::collections::BTreeMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::NsReader;

/// The service's target namespace.
pub const NAMESPACE: &str = "http://www.enovation.nl/ems/mailwebservice";
/// The SOAP 1.1 envelope namespace.
pub const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// A request envelope: `<ms:{operation}>` with one child per field, in order.
pub fn request(operation: &str, fields: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "<ms:{name}>{}</ms:{name}>",
            quick_xml::escape::escape(*value)
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soapenv:Envelope xmlns:soapenv=\"{SOAP_ENV}\" xmlns:ms=\"{NAMESPACE}\">\
         <soapenv:Body><ms:{operation}>{body}</ms:{operation}></soapenv:Body></soapenv:Envelope>"
    )
}

/// What a response body holds: the service's leaf elements in document order, and a fault if
/// there was one.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// `(local name, text)` of every element in the service namespace that has no child
    /// elements, in document order. The text is as sent, whitespace and all: a unique id is
    /// exactly its text.
    pub leaves: Vec<(String, String)>,
    /// The local names of every element in the service namespace (to check the response type).
    pub elements: Vec<String>,
    /// A SOAP fault: `(faultcode, faultstring)`.
    pub fault: Option<(String, String)>,
    /// Elements whose `xsi:nil` is true.
    pub nil: Vec<String>,
    /// Whether the envelope has a SOAP 1.1 `Body`.
    pub body: bool,
}

impl Response {
    /// Every text of the leaves named `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.leaves
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The first leaf named `name`, unless nil, without leading and trailing whitespace.
    pub fn first(&self, name: &str) -> Option<String> {
        self.leaves
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|_| !self.is_nil(name))
    }

    /// Takes the first leaf named `name` out of the response (no copy of a large text),
    /// nil or not.
    pub fn take_first(&mut self, name: &str) -> Option<String> {
        let at = self.leaves.iter().position(|(n, _)| n == name)?;
        Some(self.leaves.swap_remove(at).1)
    }

    /// How many leaves are named `name`.
    pub fn count(&self, name: &str) -> usize {
        self.leaves.iter().filter(|(n, _)| n == name).count()
    }

    /// Whether an element named `name` has `xsi:nil` set.
    pub fn is_nil(&self, name: &str) -> bool {
        self.nil.iter().any(|n| n == name)
    }

    /// The first leaves of each name, for names listed.
    pub fn fields(&self) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        for (name, value) in &self.leaves {
            map.entry(name.clone()).or_insert_with(|| value.clone());
        }
        map
    }
}

/// Why a response could not be read.
#[derive(Debug, thiserror::Error)]
#[error("unreadable SOAP response at byte {position}: {detail}")]
pub struct SoapError {
    /// Where.
    pub position: u64,
    /// What.
    pub detail: String,
}

struct Open {
    ours: bool,
    soap: bool,
    local: String,
    text: String,
    has_children: bool,
}

/// Reads a response envelope.
///
/// # Errors
/// XML that is not well formed.
pub fn parse(xml: &str) -> Result<Response, SoapError> {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<Open> = Vec::new();
    let mut response = Response::default();
    let mut fault_code = None;
    let mut fault_string = None;
    let mut in_fault = false;
    loop {
        let position = reader.buffer_position();
        let fail = |detail: String| SoapError { position, detail };
        let (namespace, event) = reader
            .read_resolved_event()
            .map_err(|e| fail(e.to_string()))?;
        let ours = matches!(namespace, ResolveResult::Bound(Namespace(ns)) if ns == NAMESPACE);
        let soap = matches!(namespace, ResolveResult::Bound(Namespace(ns)) if ns == SOAP_ENV);
        match event {
            Event::Start(start) => {
                let open = opened(&start, ours, soap, &mut stack, &mut response);
                response.body |= open.soap && open.local == "Body";
                in_fault |= open.soap && open.local == "Fault";
                stack.push(open);
            }
            Event::Empty(start) => {
                let open = opened(&start, ours, soap, &mut stack, &mut response);
                response.body |= open.soap && open.local == "Body";
                close(
                    open,
                    &mut response,
                    in_fault,
                    &mut fault_code,
                    &mut fault_string,
                );
            }
            Event::Text(text) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&data);
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match &*reference {
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "amp" => "&".into(),
                        "apos" => "'".into(),
                        "quot" => "\"".into(),
                        other => return Err(fail(format!("unknown entity &{other};"))),
                    },
                    Err(e) => return Err(fail(e.to_string())),
                };
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let Some(open) = stack.pop() else {
                    return Err(fail("an end tag without a start tag".into()));
                };
                if open.soap && open.local == "Fault" {
                    in_fault = false;
                }
                close(
                    open,
                    &mut response,
                    in_fault,
                    &mut fault_code,
                    &mut fault_string,
                );
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(SoapError {
            position: reader.buffer_position(),
            detail: "the document ends inside an element".into(),
        });
    }
    if fault_code.is_some() || fault_string.is_some() {
        response.fault = Some((
            fault_code.unwrap_or_default(),
            fault_string.unwrap_or_default(),
        ));
    }
    Ok(response)
}

fn opened(
    start: &BytesStart<'_>,
    ours: bool,
    soap: bool,
    stack: &mut [Open],
    response: &mut Response,
) -> Open {
    let local = start.local_name().as_ref().to_owned();
    let nil = start
        .attributes()
        .flatten()
        .any(|a| a.key.local_name().as_ref() == "nil" && matches!(a.value.trim(), "true" | "1"));
    if let Some(parent) = stack.last_mut() {
        parent.has_children = true;
    }
    if ours {
        response.elements.push(local.clone());
        if nil {
            response.nil.push(local.clone());
        }
    }
    Open {
        ours,
        soap,
        local,
        text: String::new(),
        has_children: false,
    }
}

fn close(
    open: Open,
    response: &mut Response,
    in_fault: bool,
    fault_code: &mut Option<String>,
    fault_string: &mut Option<String>,
) {
    if in_fault && !open.ours && !open.soap {
        match open.local.as_str() {
            "faultcode" => *fault_code = Some(open.text.trim().to_owned()),
            "faultstring" => *fault_string = Some(open.text.trim().to_owned()),
            _ => {}
        }
    }
    if open.ours && !open.has_children {
        response.leaves.push((open.local, open.text));
    }
}
